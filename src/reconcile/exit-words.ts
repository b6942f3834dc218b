/** `exited with code 3`, `was killed by SIGKILL`; a limit's reason instead, when one ended it. */
export function describeExit(exit: { code: number | null; signal: string | null; reason?: string | undefined }): string {
  if (isLimitReason(exit.reason)) return exit.reason;
  if (exit.signal) return `was killed by ${exit.signal}`;
  return exit.code === null ? 'exited' : `exited with code ${exit.code}`;
}

/**
 * Whether an exit's reason is a limit's (the kernel's OOM killer in the service's cgroup, the
 * controller's memory watchdog): it says how the run ended better than its signal does.
 */
export function isLimitReason(reason: string | undefined): reason is string {
  return reason !== undefined && (reason.startsWith('killed by the OOM killer') || /^memory limit .* exceeded/.test(reason));
}
