/** `build` runs at the first call of the returned function; every call returns its result. */
export function once<T>(build: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= build());
}
