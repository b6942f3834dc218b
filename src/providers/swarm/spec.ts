// The swarm provider's settings of a desired service (`swarm:` resolved); module.ts adds them
// to the model's ProviderSettings.

export interface SwarmSpec {
  /** The compose file `docker stack deploy -c` reads, absolute. */
  file: string;
  /** The swarm stack's name: every service of the file runs as `<stack>_<service>`. */
  stack: string;
  /** Variables the compose file's `${…}` read, besides stack's own environment. */
  env: Record<string, string>;
}
