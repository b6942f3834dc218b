// Runs one measurement for every subject, interleaved (A B C A B C …), each in a fresh temp
// folder, cleaning up after each subject by pid before the next one starts.
import { sweep, tempDir } from '../lib.mjs';

export async function interleave(subjects, rounds, measure) {
  const values = new Map(subjects.map((subject) => [subject.name, []]));
  for (let round = 0; round < rounds; round += 1) {
    for (const subject of subjects) {
      // Only letters, digits and dashes: scripts write into it unquoted (`s6 (no readiness: …)`).
      const dir = tempDir(`bench-${subject.name.replace(/[^A-Za-z0-9]+/g, '-')}-`);
      try {
        values.get(subject.name).push(await measure(subject, dir, round));
      } catch (error) {
        // One failed round is reported and left out (NaN), not allowed to sink the whole run.
        console.error(`  ${subject.name}, round ${round + 1} failed: ${error.message}`);
        values.get(subject.name).push(Number.NaN);
      } finally {
        await subject.cleanup?.(dir);
        const leftovers = await sweep();
        if (leftovers) console.error(`  (${subject.name}: ended ${leftovers} leftover process(es))`);
      }
    }
  }
  return values;
}

/** The values of one field of per-round objects. */
export const field = (values, key) => values.map((value) => (typeof value === 'object' ? value[key] : Number.NaN));
