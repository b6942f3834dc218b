// `npm run bench`: stack next to pm2, supervisord, s6 and the physical floor, interleaved, several
// rounds (BENCH_ROUNDS, default 5). BENCH_ONLY=startup,plan,validate,sleeps,http,crash,memory,hotadd,api,top,dashboard,logs,dev,limits,thousand,servers,chain,compose narrows it
// (api: the controller's API of issue 25; api-status, api-events or api-rss for one of its three;
// top: `stack top` of issue 26, its idle CPU beside pm2 monit and a key press to the redrawn screen;
// dashboard: `stack dashboard` of issue 27, the page's first full render in headless Chromium and its bundle size;
// chain: issue 34's dependency chain of 200; thousand: issue 34's 1,000 services (50, 200, 1,000 sleeps beside a shell loop; status, plan, validate, down; a controller's RSS and status);
// logs: issue 30's framed logs, `stack logs --since 1m` over 100 MB, 10 × 10 MB merged, a service printing 50k lines/s).
// compose: issue 34's `stack apply` of 5 compose services beside `docker-compose up -d` of the same file, needs a docker engine.
// s6 (issue 34) takes part in crash, sleeps and memory only (bench/peers/s6.mjs). suite: `npm test`'s
// wall time (issue 34), only when BENCH_ONLY names it.
// Writes bench/results.md; every process it started is ended by pid, also on failure or Ctrl+C.
import { machineDescription, removeTempDirs, sweep, sweepNow } from './lib.mjs';
import { floor } from './peers/floor.mjs';
import { pm2Peer } from './peers/pm2.mjs';
import { s6Peer } from './peers/s6.mjs';
import { stack } from './peers/stack.mjs';
import { supervisordPeer } from './peers/supervisord.mjs';
import { Results } from './results.mjs';
import { apiEventsScenario, apiRssScenario, apiStatusScenario } from './scenarios/controller-api.mjs';
import { chainScenario } from './scenarios/chain.mjs';
import { composeScenario } from './scenarios/compose.mjs';
import { crashScenario } from './scenarios/crash.mjs';
import { dashboardScenario } from './scenarios/dashboard.mjs';
import { hotAddScenario } from './scenarios/hotadd.mjs';
import { limitsScenario } from './scenarios/limits.mjs';
import { logsScenario } from './scenarios/logs.mjs';
import { devScenario } from './scenarios/dev.mjs';
import { httpScenario } from './scenarios/http.mjs';
import { serversScenario } from './scenarios/servers.mjs';
import { memoryScenario } from './scenarios/memory.mjs';
import { planScenario } from './scenarios/plan.mjs';
import { sleepsScenario } from './scenarios/sleeps.mjs';
import { startupScenario } from './scenarios/startup.mjs';
import { suiteScenario } from './scenarios/suite.mjs';
import { topScenario } from './scenarios/top.mjs';
import { thousandScenario } from './scenarios/thousand.mjs';
import { validateScenario } from './scenarios/validate.mjs';
import { evaluateTargets, METHOD } from './targets.mjs';

const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const only = process.env.BENCH_ONLY?.split(',');
const wanted = (name) => !only || only.includes(name) || (name.startsWith('api-') && only.includes('api'));
const results = new Results();

const allPeers = [pm2Peer, supervisordPeer, s6Peer];
const peers = allPeers.filter((peer) => peer.available);
for (const peer of allPeers.filter((p) => !p.available)) results.skip('all', peer.name, peer.skipReason);

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    sweepNow();
    removeTempDirs();
    process.exit(130);
  });
}

async function main() {
  const machine = machineDescription();
  console.log(`${machine.cores} cores (${machine.cpu}), Node ${machine.node}; ${peers.map((p) => `${p.name} ${p.version}`).join(', ')}; ${rounds} rounds; stack spawns through ${machine.spawner}\n`);
  const ctx = { results, rounds, stack, peers, floor };
  if (wanted('startup')) await startupScenario(ctx);
  if (wanted('plan')) await planScenario(ctx);
  if (wanted('validate')) await validateScenario(ctx);
  for (const n of [10, 50]) {
    if (wanted('sleeps')) await sleepsScenario({ ...ctx, n });
    if (wanted('http')) await httpScenario({ ...ctx, n });
    if (wanted('memory')) await memoryScenario({ ...ctx, n });
  }
  if (wanted('crash')) await crashScenario(ctx);
  if (wanted('hotadd')) await hotAddScenario(ctx);
  if (wanted('api-status')) await apiStatusScenario(ctx);
  if (wanted('api-events')) await apiEventsScenario(ctx);
  if (wanted('api-rss')) await apiRssScenario(ctx);
  if (wanted('top')) await topScenario(ctx);
  if (wanted('dashboard')) await dashboardScenario(ctx);
  if (wanted('logs')) await logsScenario(ctx);
  if (wanted('dev')) await devScenario(ctx);
  if (wanted('limits')) await limitsScenario(ctx);
  if (wanted('thousand')) await thousandScenario(ctx);
  if (wanted('servers')) await serversScenario(ctx);
  if (wanted('chain')) await chainScenario(ctx);
  if (wanted('compose')) await composeScenario(ctx);
  if (only?.includes('suite')) await suiteScenario(ctx);

  const targets = evaluateTargets(results);
  console.log(`\n${results.table()}\n\n${results.ratioLines().join('\n')}\n`);
  for (const target of targets) console.log(`${target.verdict.padEnd(7)} ${target.label}: ${target.measured ?? 'n/a'}`);
  results.write(new URL('./results.md', import.meta.url), { machine, peers: allPeers, rounds, method: METHOD, targets });
  console.log('\nwrote bench/results.md');
}

try {
  await main();
} catch (error) {
  console.error(`bench failed: ${error.stack ?? error}`);
  process.exitCode = 1;
} finally {
  await sweep();
  removeTempDirs();
}
