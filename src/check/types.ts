/** One line of `stack check`: what was checked, whether it passed, and what to do when not. */
export interface CheckResult {
  /** The kind of check: `node`, `executable`, `docker`, `compose`, `plugin`, `variable`, `port`, `stacks`, `spawner`, `limits`, `state`. */
  check: string;
  ok: boolean;
  /** What was found, for people: `web: node → /usr/bin/node`. */
  detail: string;
  hint?: string;
  /** Passed, with something worth knowing (a `--user` unit without lingering): shown with its hint, does not fail the check. */
  warning?: true;
}

export function pass(check: string, detail: string): CheckResult {
  return { check, ok: true, detail };
}

export function fail(check: string, detail: string, hint?: string): CheckResult {
  return hint === undefined ? { check, ok: false, detail } : { check, ok: false, detail, hint };
}

export function warn(check: string, detail: string, hint: string): CheckResult {
  return { check, ok: true, detail, hint, warning: true };
}
