/** `exited with code 3`, `was killed by SIGKILL`. */
export function describeExit(exit: { code: number | null; signal: string | null }): string {
  if (exit.signal) return `was killed by ${exit.signal}`;
  return exit.code === null ? 'exited' : `exited with code ${exit.code}`;
}
