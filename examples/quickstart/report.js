// A nightly-report style job, declared but kept stopped: `stack start report` would run it.
console.log('report: generating…');
setInterval(() => console.log('report: still running'), 5000);
