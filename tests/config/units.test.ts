import { describe, expect, it } from 'vitest';
import { parseDuration, parsePort, parseSize } from '../../src/config/units.js';

describe('units', () => {
  it('parses durations', () => {
    expect([parseDuration('250ms'), parseDuration('10s'), parseDuration('2m'), parseDuration('1h'), parseDuration('0s')]).toEqual([
      250, 10_000, 120_000, 3_600_000, 0,
    ]);
    expect([parseDuration('10'), parseDuration('1.5s'), parseDuration('1d'), parseDuration('25h'), parseDuration('-1s')]).toEqual([
      undefined, undefined, undefined, undefined, undefined,
    ]);
  });

  it('parses sizes', () => {
    expect([parseSize('10MB'), parseSize('10MiB'), parseSize('512kib'), parseSize(4096), parseSize('7')]).toEqual([
      10_000_000, 10_485_760, 524_288, 4096, 7,
    ]);
    expect([parseSize('0'), parseSize(-1), parseSize('1TB'), parseSize(1.5)]).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('parses ports', () => {
    expect(parsePort(80)).toEqual({ port: 80 });
    expect(parsePort('8080')).toEqual({ port: 8080 });
    expect(parsePort('127.0.0.1:80')).toEqual({ host: '127.0.0.1', port: 80 });
    expect(parsePort('[::1]:80')).toEqual({ host: '::1', port: 80 });
    expect(parsePort('localhost:65535')).toEqual({ host: 'localhost', port: 65_535 });
    // compose's HOST:CONTAINER, not host "8080" (which a resolver reads as 0.0.31.144)
    expect([parsePort('8080:80'), parsePort(' 5432:5432 ')]).toEqual([undefined, undefined]);
    expect(parsePort('db1:5432')).toEqual({ host: 'db1', port: 5432 });
    expect([parsePort(0), parsePort(65_536), parsePort(80.5), parsePort(':80'), parsePort('a:b'), parsePort('1:2:3')]).toEqual([
      undefined, undefined, undefined, undefined, undefined, undefined,
    ]);
  });
});
