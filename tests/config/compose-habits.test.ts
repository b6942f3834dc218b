import { describe, expect, it } from 'vitest';
import type { Loaded } from '../../src/config/load.js';
import { issueLines, load, yaml } from './helpers.js';

const service = (...lines: string[]) => load(yaml('version: 1', 'services:', '  web:', '    command: node app.js', ...lines.map((line) => `    ${line}`)));
/** Each issue as `line:col message | hint`. */
const hinted = (loaded: Loaded) => loaded.issues.map((issue) => `${issue.position?.line}:${issue.position?.column} ${issue.message} | ${issue.hint}`);
const RUN_COMPOSE = 'a docker-compose.yml runs as a service with provider: compose and compose: { file: ./docker-compose.yml }';

describe('compose keys in a service', () => {
  it('environment is env, in either of compose\'s forms', () => {
    expect(hinted(service('environment: { NODE_ENV: production }'))).toEqual([
      '5:5 unknown key "environment" (did you mean "env"?) | stack\'s environment is env, a map as in compose: env: { NODE_ENV: production }',
    ]);
    expect(hinted(service('environment: [NODE_ENV=production, HOME]'))).toEqual([
      '5:5 unknown key "environment" (did you mean "env"?) | env is a map: compose\'s list item - NAME=value is NAME: value, as in env: { NODE_ENV: production }; a bare - NAME needs no entry: a service starts with the caller\'s environment',
    ]);
  });

  it('env written as compose\'s list says the same', () => {
    const loaded = service('env: [NODE_ENV=production]');
    expect(issueLines(loaded)).toEqual(['5:5 expected a map, got a list']);
    expect(loaded.issues[0]?.hint).toMatch(/^env is a map: compose's list item - NAME=value is NAME: value/);
  });

  it('working_dir is cwd, env_file is envFile', () => {
    expect(hinted(service('working_dir: ./web', 'env_file: [.env, { path: .env.local, required: false }]'))).toEqual([
      '5:5 unknown key "working_dir" (did you mean "cwd"?) | stack\'s working folder is cwd: ./app, relative to stack.yaml\'s folder; it must exist',
      '6:5 unknown key "env_file" (did you mean "envFile"?) | envFile takes one path or a list, relative to stack.yaml: envFile: [.env.web]; every file must exist; compose\'s { path: …, required: … } entries are written as their path',
    ]);
  });

  it('depends_on is dependsOn, with the services named and compose\'s conditions mapped', () => {
    expect(hinted(service('depends_on: [db, cache]'))).toEqual([
      '5:5 unknown key "depends_on" (did you mean "dependsOn"?) | write dependsOn: [db, cache]: each starts first, and is ready first where it declares a ready: probe',
    ]);
    const conditions = service(
      'depends_on:',
      '  db: { condition: service_healthy }',
      '  migrate: { condition: service_completed_successfully }',
      '  cache: { condition: service_started }',
    );
    expect(conditions.issues.map((issue) => issue.hint)).toEqual([
      'write dependsOn: { db: ready, migrate: completed, cache: started }: compose\'s ' +
        'service_started → started, service_healthy → ready, service_completed_successfully → completed; completed waits for a kind: task service',
    ]);
  });

  it('does not quote a name that could not be a service', () => {
    expect(service('depends_on: ["Bad Name"]').issues[0]?.hint).toMatch(/^write dependsOn: \[db\]:/);
  });

  it('healthcheck is health, and compose\'s probe keys inside it are named', () => {
    expect(hinted(service('healthcheck: { test: [CMD, pg_isready], retries: 5 }'))).toEqual([
      '5:5 unknown key "healthcheck" (did you mean "health"?) | stack\'s liveness probe is health: { exec: [pg_isready], interval: 10s, timeout: 5s, failureThreshold: 3 }, ' +
        'or http: URL or tcp: port in place of exec; compose\'s test: [CMD, …] is exec: […] without "CMD", CMD-SHELL\'s string is exec: [sh, -c, "…"], retries is failureThreshold',
    ]);
    expect(issueLines(service('health: { test: [CMD, pg_isready], retries: 5, start_period: 30s }'))).toEqual([
      '5:5 health needs one of tcp, http, exec or log',
      '5:15 unknown key "test" (did you mean "exec"?)',
      '5:40 unknown key "retries" (did you mean "failureThreshold"?)',
      '5:52 unknown key "start_period"',
    ]);
    expect(service('ready: { start_period: 30s, tcp: 80 }').issues[0]?.hint).toBe(
      'a probe has no start period: a ready: probe, within its timeout, waits for the start, and health: watches after it',
    );
  });

  it('stop_signal, stop_grace_period, entrypoint and logging get stack\'s keys', () => {
    expect(hinted(service('stop_signal: SIGINT', 'stop_grace_period: 30s', 'entrypoint: [tini, --]', 'logging: { driver: json-file }'))).toEqual([
      '5:5 unknown key "stop_signal" (did you mean "stop"?) | write stop: { signal: SIGINT }',
      '6:5 unknown key "stop_grace_period" (did you mean "stop"?) | write stop: { timeout: 30s }: SIGKILL follows when it runs out',
      '7:5 unknown key "entrypoint" (did you mean "command"?) | stack runs one argv: command: [entrypoint, …its arguments, …compose\'s command]',
      '8:5 unknown key "logging" (did you mean "logs"?) | stack keeps each service\'s log in .stack/logs/, rotated as logs: { maxSize: 10MB, maxFiles: 3 } says: compose\'s max-size and max-file',
    ]);
    expect(service('stop_signal: QUIT', 'stop_grace_period: 1m30s').issues.map((issue) => issue.hint)).toEqual([
      'write stop: { signal: SIGQUIT }',
      'write stop: { timeout: 10s }: SIGKILL follows when it runs out',
    ]);
  });

  it('container keys point at provider: compose', () => {
    expect(hinted(service('image: nginx:1.27', 'volumes: [./data:/data]'))).toEqual([
      `5:5 unknown key "image" | image: is a container's key, and stack runs containers through compose: ${RUN_COMPOSE}`,
      `6:5 unknown key "volumes" | volumes: is a container's key, and stack runs containers through compose: ${RUN_COMPOSE}; a process service sees the host's files as they are`,
    ]);
  });

  it('leaves other unknown keys to "did you mean" and the list of allowed keys', () => {
    const loaded = service('envFiles: [.env]', 'colour: blue');
    expect(issueLines(loaded)).toEqual(['5:5 unknown key "envFiles" (did you mean "envFile"?)', '6:5 unknown key "colour"']);
    expect(loaded.issues.map((issue) => issue.hint?.slice(0, 26))).toEqual(['allowed keys in services.w', 'allowed keys in services.w']);
  });
});

describe('compose values', () => {
  it('restart: always and its kin become restart: { policy }', () => {
    const loaded = service('restart: always');
    expect(issueLines(loaded)).toEqual(['5:5 expected a map, got "always"']);
    expect(loaded.issues[0]?.hint).toBe('write restart: { policy: always }; it restarts at most maxRestarts times in a row, 5 unless set');
    const hints = ['unless-stopped', '"on-failure:3"', 'on-failure', '"no"', 'sometimes'].map((value) => service(`restart: ${value}`).issues[0]?.hint);
    expect(hints).toEqual([
      'write restart: { policy: always }: a service stack stops stays stopped',
      'write restart: { policy: on-failure, maxRestarts: 3 }',
      'write restart: { policy: on-failure }',
      'write restart: { policy: no }',
      'restart is a map: restart: { policy: on-failure }, policy no, on-failure or always',
    ]);
  });

  it('restart under defaults too', () => {
    const loaded = load(yaml('version: 1', 'defaults:', '  restart: always', 'services: {}'));
    expect(hinted(loaded)).toEqual([
      '3:3 expected a map, got "always" | write restart: { policy: always }; it restarts at most maxRestarts times in a row, 5 unless set',
    ]);
  });

  it('a HOST:CONTAINER port is refused, with the port the service is reached on', () => {
    const loaded = service('ports: ["8080:80", "127.0.0.1:5432:5432", "9000:9000/udp"]');
    expect(issueLines(loaded)).toEqual([
      '5:13 expected a port (1-65535) or "host:port", got "8080:80"',
      '5:24 expected a port (1-65535) or "host:port", got "127.0.0.1:5432:5432"',
      '5:47 expected a port (1-65535) or "host:port", got "9000:9000/udp"',
    ]);
    expect(loaded.issues.map((issue) => issue.hint?.split(': ports: ')[1])).toEqual([
      '[8080]; a container\'s mappings stay in its compose file',
      '["127.0.0.1:5432"]; a container\'s mappings stay in its compose file',
      '[9000]; a container\'s mappings stay in its compose file',
    ]);
  });

  it('dependsOn written as compose\'s condition map gets the list and the mapping', () => {
    const loaded = service('dependsOn: { db: { condition: service_healthy } }');
    expect(loaded.issues[0]?.hint).toBe(
      'write dependsOn: { db: ready }: compose\'s service_healthy → ready',
    );
  });
});

describe('a compose file\'s top level', () => {
  it('version "3.8", name, x- fields and volumes', () => {
    const loaded = load(yaml('version: "3.8"', 'name: shop', 'x-common: &common { restart: always }', 'services: {}', 'volumes: { data: {} }'));
    expect(hinted(loaded)).toEqual([
      `1:1 expected version: 1, got "3.8" | stack.yaml starts with version: 1; "3.8" is a compose file's version, and ${RUN_COMPOSE}`,
      '2:1 unknown key "name" (did you mean "project"?) | compose\'s name: is stack\'s project: write project: shop',
      '3:1 unknown key "x-common" | stack.yaml has no extension fields: put the anchor on the first service that uses it, a: &common { … }, then b: { <<: *common, … }',
      `5:1 unknown key "volumes" | volumes: is a compose file's key; stack.yaml declares services, and ${RUN_COMPOSE}`,
    ]);
  });
});

describe('an unquoted ": " in a value', () => {
  it('hints to quote it, showing the quoted line', () => {
    const loaded = load(yaml('version: 1', 'services:', '  web:', '    command: echo boom: x   # says boom'));
    expect(hinted(loaded)).toEqual(['4:14 invalid YAML: nested mappings are not allowed in compact mappings | a value holding ": " must be quoted: command: "echo boom: x"']);
  });

  it('inside { } as well', () => {
    const loaded = load(yaml('version: 1', 'services:', '  web: { command: echo a: b, shell: true }'));
    expect(hinted(loaded)).toEqual(['3:19 invalid YAML: block collections are not allowed within flow collections | a value holding ": " must be quoted: command: "echo a: b"']);
  });

  it('does not show a line that may hold a secret', () => {
    const hints = [
      '    command: curl -H Authorization: Bearer abc',
      '    command: login --with ghp_abcdefghijklmnop0123: x',
      '    API_TOKEN: some value: x',
    ].map((line) => load(yaml('version: 1', 'services:', '  web:', line)).issues[0]?.hint);
    expect(hints).toEqual(['a value holding ": " must be quoted', 'a value holding ": " must be quoted', 'a value holding ": " must be quoted']);
  });

  it('says nothing when the colon meant nesting', () => {
    expect(load(yaml('version: 1', 'services: web: x')).issues[0]?.hint).toBeUndefined();
  });
});
