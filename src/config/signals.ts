/** The signals a service may be stopped with (`stop.signal`). Without zod: the state file checks records against it. */
export const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGKILL', 'SIGUSR1', 'SIGUSR2'] as const;
