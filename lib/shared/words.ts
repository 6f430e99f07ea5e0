/** "1 feed", "3 feeds", "2 replies": a count and its noun, for job summaries and command output. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
