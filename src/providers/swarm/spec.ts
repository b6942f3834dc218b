// The swarm provider's settings of a desired service (`swarm:` resolved); module.ts adds them
// to the model's ProviderSettings. Hashed into the parse cache's key with module.ts (scripts/build.mjs),
// so the stack name's rule lives here too.

export interface SwarmSpec {
  /** The compose file `docker stack deploy -c` reads, absolute. */
  file: string;
  /** The swarm stack's name: every service of the file runs as `<stack>_<service>`. */
  stack: string;
  /** Variables the compose file's `${…}` read, besides stack's own environment. */
  env: Record<string, string>;
}

/** A stack name docker accepts (it prefixes service and network names): `a-z 0-9 _ -`, lower case. */
export function swarmStackName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9_-]/g, '');
}
