'use strict';
/**
 * Preload for profiling a process without touching its code:
 *
 *   node -r ./bench/instrument.js dist/src/main.js      (started with an IPC channel)
 *
 * - counts every statement sent through mysql2, by statement shape (literals replaced by ?);
 * - CPU-profiles a chosen window with the inspector, so the profile holds the load run only,
 *   not the boot or the warm-up.
 *
 * Messages on the IPC channel (signals are no use: the app treats SIGUSR2 like SIGTERM):
 *   'query-counts'           -> { queryCounts: { shape: count } }  (counts since start)
 *   'profile-start'          -> { profiling: true }
 *   { profileStop: <file> }  -> { profileWritten: <file> }
 *   'memory'                 -> { memory: process.memoryUsage() and V8 heap spaces }
 * bench/profile-route.js drives it.
 */
const { writeFileSync } = require('node:fs');
const inspector = require('node:inspector');
const mysql = require('mysql2');

const counts = new Map();
const base = Object.getPrototypeOf(mysql.Connection.prototype);

function shape(sql) {
  return String(sql)
    .replace(/'(?:[^'\\]|\\.)*'/g, '?')
    .replace(/\b\d+(\.\d+)?\b/g, '?')
    .replace(/\s+/g, ' ')
    .replace(/(\?, )+\?/g, '?…')
    .trim()
    .slice(0, 160);
}

for (const method of ['query', 'execute']) {
  const original = base[method];
  base[method] = function counted(sql, ...rest) {
    const text = typeof sql === 'object' && sql !== null ? sql.sql : sql;
    const key = `${method}: ${shape(text)}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    return original.call(this, sql, ...rest);
  };
}

let session = null;

if (process.send) {
  process.on('message', (msg) => {
    if (msg === 'memory') {
      const spaces = require('node:v8')
        .getHeapSpaceStatistics()
        .map((sp) => ({ space: sp.space_name, sizeMB: +(sp.space_size / 2 ** 20).toFixed(1), usedMB: +(sp.space_used_size / 2 ** 20).toFixed(1) }));
      process.send({ memory: { ...process.memoryUsage(), spaces } });
    } else if (msg === 'query-counts') {
      process.send({ queryCounts: Object.fromEntries(counts) });
    } else if (msg === 'profile-start') {
      session = new inspector.Session();
      session.connect();
      session.post('Profiler.enable', () =>
        session.post('Profiler.setSamplingInterval', { interval: 500 }, () => session.post('Profiler.start', () => process.send({ profiling: true }))),
      );
    } else if (msg && msg.profileStop && session) {
      session.post('Profiler.stop', (err, result) => {
        if (!err) writeFileSync(msg.profileStop, JSON.stringify(result.profile));
        session.disconnect();
        session = null;
        process.send({ profileWritten: err ? null : msg.profileStop });
      });
    }
  });
  // The channel must not keep the process alive after the app has shut down.
  process.channel?.unref();
}
