// A worker that calls the api once a second and logs the answer.
const url = process.env.API_URL ?? 'http://127.0.0.1:8787/work';
const timer = setInterval(async () => {
  try {
    const response = await fetch(url);
    console.log(`worker: ${(await response.text()).trim()}`);
  } catch (error) {
    console.log(`worker: api unreachable (${error.message})`);
  }
}, 1000);
process.on('SIGTERM', () => {
  clearInterval(timer);
  console.log('worker: stopping');
  process.exit(0);
});
