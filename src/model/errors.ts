/** Exit codes, as README.md lists them. Only src/cli turns them into a process exit. */
export const ExitCode = {
  ok: 0,
  actionFailed: 1,
  changesPending: 2,
  noStackFile: 3,
  serviceNotFound: 4,
  invalidConfig: 5,
  providerUnavailable: 6,
  locked: 7,
  /** `stack exec`: the command's program could not be executed (permission denied), as a shell says it. */
  commandNotExecutable: 126,
  /** `stack exec`: the command's program was not found, as a shell says it. */
  commandNotFound: 127,
  /** The terminal went away (SIGHUP, or it failed a write with EIO): 128 + SIGHUP's number. */
  hangup: 129,
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A position in a source file, 1-based. */
export interface SourcePosition {
  file: string;
  line: number;
  column: number;
}

/** One problem found in a configuration file. Validators collect these; they never throw. */
export interface ConfigIssue {
  message: string;
  /** The key path, e.g. `services.web.command`. Empty for document-level issues. */
  path: string;
  position?: SourcePosition;
  hint?: string;
}

/** The one error type users see. Carries facts as fields; src/cli formats it. */
export class StackError extends Error {
  readonly code: ExitCode;
  readonly position?: SourcePosition;
  readonly issues: ConfigIssue[];
  readonly hint?: string;

  constructor(
    code: ExitCode,
    message: string,
    options: { position?: SourcePosition; issues?: ConfigIssue[]; hint?: string; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'StackError';
    this.code = code;
    this.position = options.position;
    this.issues = options.issues ?? [];
    this.hint = options.hint;
  }
}

export function invalidConfig(file: string, issues: ConfigIssue[]): StackError {
  const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
  return new StackError(ExitCode.invalidConfig, `${file} is not valid (${count})`, {
    issues,
    position: issues[0]?.position,
  });
}

/** A provider error names its service already ("web: not ready: …"); where the service is named beside it, once is enough. */
export function withoutServicePrefix(service: string, message: string): string {
  return message.startsWith(`${service}: `) ? message.slice(service.length + 2) : message;
}
