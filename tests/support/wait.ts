/**
 * Polls `condition` until it returns something truthy, or throws after `timeoutMs`: the one way
 * the tests synchronise with processes, files and controllers (never a fixed sleep).
 */
type Falsy = false | 0 | '' | null | undefined;

export async function waitFor<T>(condition: () => T | Falsy | Promise<T | Falsy>, timeoutMs = 5000, what = 'condition'): Promise<NonNullable<T>> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value as NonNullable<T>;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
