// Collects figures, prints them as they come, and writes bench/results.md.
import { writeFileSync } from 'node:fs';
import { summarise } from './lib.mjs';

export class Results {
  rows = [];
  ratios = [];
  skipped = [];

  record(scenario, subject, all, unit = 'ms') {
    const values = all.filter((value) => typeof value === 'number' && Number.isFinite(value));
    if (values.length < all.length) this.skip(scenario, subject, `${all.length - values.length} of ${all.length} rounds failed`);
    if (values.length === 0) return undefined;
    const stats = summarise(values);
    this.rows.push({ scenario, subject, unit, ...stats });
    const f = (value) => value.toFixed(unit === 'ms' ? 1 : 2);
    console.log(`${scenario.padEnd(30)} ${subject.padEnd(26)} median ${f(stats.median).padStart(9)} ${unit.padEnd(3)} (min ${f(stats.min)}, max ${f(stats.max)}, n=${stats.runs})`);
    return stats;
  }

  /** stack/peer per round (the rounds were interleaved), then the median of those ratios. */
  ratio(scenario, peer, stackValues, peerValues) {
    const perRound = stackValues.map((value, index) => value / peerValues[index]).filter(Number.isFinite);
    if (perRound.length === 0) return undefined;
    const stats = summarise(perRound);
    this.ratios.push({ scenario, peer, ...stats });
    console.log(`ratio ${scenario} ${peer} ${stats.median.toFixed(2)}`);
    return stats.median;
  }

  skip(scenario, peer, reason) {
    this.skipped.push({ scenario, peer, reason });
    console.log(`skipped ${scenario} ${peer}: ${reason}`);
  }

  median(scenario, subject) {
    return this.rows.find((row) => row.scenario === scenario && row.subject === subject)?.median;
  }

  ratioOf(scenario, peer) {
    return this.ratios.find((row) => row.scenario === scenario && row.peer === peer)?.median;
  }

  table() {
    const f = (row, value) => value.toFixed(row.unit === 'ms' ? 1 : 2);
    return [
      '| scenario | subject | median | min–max | n |',
      '|---|---|---|---|---|',
      ...this.rows.map((row) => `| ${row.scenario} | ${row.subject} | ${f(row, row.median)} ${row.unit} | ${f(row, row.min)}–${f(row, row.max)} | ${row.runs} |`),
    ].join('\n');
  }

  ratioLines() {
    return this.ratios.map((row) => `ratio ${row.scenario} ${row.peer} ${row.median.toFixed(2)}`);
  }

  write(file, { machine, peers, rounds, method, targets }) {
    const ratioTable = [
      '| scenario | peer | stack/peer (median of per-round ratios) | min–max |',
      '|---|---|---|---|',
      ...this.ratios.map((row) => `| ${row.scenario} | ${row.peer} | ${row.median.toFixed(2)}× | ${row.min.toFixed(2)}–${row.max.toFixed(2)} |`),
    ].join('\n');
    const targetTable = [
      '| target | measured | verdict |',
      '|---|---|---|',
      ...targets.map((t) => `| ${t.label} | ${t.measured === undefined ? 'n/a' : t.measured} | ${t.verdict} |`),
    ].join('\n');
    const skipped = this.skipped.length ? `\n## Skipped\n\n${this.skipped.map((s) => `- ${s.scenario} / ${s.peer}: ${s.reason}`).join('\n')}\n` : '';
    writeFileSync(
      file,
      `# Benchmark results\n\nWritten by \`npm run bench\` on ${new Date().toISOString()}. Rounds: ${rounds} (interleaved: every subject once per round, in turn).\n\n` +
        `## Machine\n\n- ${machine.cores} cores, ${machine.cpu}\n- Node ${machine.node}, Linux ${machine.kernel}\n- stack starts processes through ${machine.spawner}\n` +
        peers.map((p) => `- ${p.name}: ${p.available ? p.version : `skipped (${p.skipReason})`}`).join('\n') +
        `\n\n## Targets\n\n${targetTable}\n\n## Ratios\n\n${ratioTable}\n\n## All figures\n\n${this.table()}\n${skipped}\n## What is measured\n\n${method}\n`,
    );
  }
}
