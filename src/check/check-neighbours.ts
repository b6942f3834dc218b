/** Other stacks on this machine that claim one of this stack's names or fixed ports (state/stacks-seen.ts). */

import type { Desired } from '../model/desired.js';
import { claimsOf, readStacksSeen } from '../state/stacks-seen.js';
import type { SeenStack } from '../state/stacks-seen.js';
import { pass, warn, type CheckResult } from './types.js';

type Env = Readonly<Record<string, string | undefined>>;

export async function checkNeighbours(desired: Desired, env: Env): Promise<CheckResult[]> {
  return neighbourResults(claimsOf(desired), await readStacksSeen(env, desired.file));
}

/** A warning per name and per fixed port another stack claims too; one pass when none. */
export function neighbourResults(ours: SeenStack, others: readonly SeenStack[]): CheckResult[] {
  const results: CheckResult[] = [];
  for (const other of others) {
    for (const name of ours.names.filter((each) => other.names.includes(each))) {
      results.push(warn('stacks', `the stack at ${other.file} is named ${name} too`, 'compose projects and the boot unit (stack service) are named after it: give one of them its own project: in stack.yaml'));
    }
    const ports = ours.ports.filter((port) => other.ports.includes(port));
    if (ports.length > 0) {
      results.push(warn('stacks', `the stack at ${other.file} declares port${ports.length === 1 ? '' : 's'} ${ports.join(', ')} too`, 'only one of them can run at a time: name the port and write it auto (ports: { http: auto }), so each copy gets its own'));
    }
  }
  return results.length > 0 ? results : [pass('stacks', `no other stack applied on this machine claims ${ours.names.join(' or ')} or its fixed ports`)];
}
