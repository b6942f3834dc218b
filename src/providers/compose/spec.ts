// The compose provider's settings of a desired service (`compose:` resolved); module.ts adds them
// to the model's ProviderSettings.

export interface ComposeSpec {
  file: string;
  project: string;
  services: string[];
  profiles: string[];
  scale: Record<string, number>;
  wait: boolean;
  env: Record<string, string>;
}
