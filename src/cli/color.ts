/** Colour only on a terminal, never with NO_COLOR or --no-color. */
export function useColor(options: { color?: boolean }, stream: NodeJS.WriteStream = process.stdout): boolean {
  return options.color !== false && !process.env.NO_COLOR && stream.isTTY === true && process.env.TERM !== 'dumb';
}
