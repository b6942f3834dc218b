/** Who holds `.stack/lock`. Apart from the lock's code, so naming a holder loads none of it. */
export interface LockOwner {
  pid: number;
  /** The holder's start time (clock ticks since boot), so a recycled pid is not mistaken for it. */
  startTicks?: number;
  command: string;
  since: string;
}

export function describeOwner(owner: LockOwner): string {
  return `pid ${owner.pid} (\`${owner.command}\`, since ${owner.since})`;
}
