/**
 * Preloaded into the API process under soak (`node --import <this file>`, see soak-target.mjs): it
 * measures the event loop's delay with perf_hooks.monitorEventLoopDelay (a 10 ms timer) and reports
 * it to the parent over the IPC channel. Nothing else in the process changes. Without an IPC channel
 * (started any other way) it does nothing.
 *
 * The histogram records the time between two firings of the 10 ms timer, so an idle loop reads 10 ms:
 * the lag reported here is that minus the resolution (as @fastify/under-pressure reports it).
 *
 * Messages to the parent: { soakProbe: 'second', lag: {p50, p99, max}, heapUsed } every second (the
 * last second's lag); { soakProbe: 'window', lag: {p50, p99, max}, samples } when asked ('report'),
 * over everything since the last 'mark' (or since start); { soakProbe: 'interval', lag: {p50, p99, max},
 * samples } when asked ('interval'), over everything since the last 'interval' question (for the
 * progress lines); { soakProbe: 'settled', rss, heapUsed }
 * when asked ('settle'): the memory right after two full collections (the process runs with
 * --expose-gc), so that two samples compare what is retained, not where V8's collection cycle was.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

const RESOLUTION_MS = 10;

if (process.send) {
  const perSecond = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  const window = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  const sinceAsked = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  perSecond.enable();
  window.enable();
  sinceAsked.enable();
  const lagMs = (ns) => Math.max(0, Number(ns) / 1e6 - RESOLUTION_MS);
  const figures = (histogram) => ({
    p50: lagMs(histogram.percentile(50)),
    p99: lagMs(histogram.percentile(99)),
    max: lagMs(histogram.max),
  });
  const send = (message) => {
    if (process.connected) process.send(message);
  };

  const timer = setInterval(() => {
    send({ soakProbe: 'second', lag: figures(perSecond), heapUsed: process.memoryUsage().heapUsed });
    perSecond.reset();
  }, 1000);
  timer.unref();

  process.on('message', (message) => {
    if (message?.soakProbe === 'mark') window.reset();
    if (message?.soakProbe === 'report') send({ soakProbe: 'window', lag: figures(window), samples: window.count });
    if (message?.soakProbe === 'interval') {
      send({ soakProbe: 'interval', lag: figures(sinceAsked), samples: sinceAsked.count });
      sinceAsked.reset();
    }
    if (message?.soakProbe === 'settle' && typeof globalThis.gc === 'function') {
      globalThis.gc();
      globalThis.gc();
      const { rss, heapUsed } = process.memoryUsage();
      send({ soakProbe: 'settled', rss, heapUsed });
    }
  });
  // The channel must not keep the API alive on its own: it exits when its own work is done.
  process.channel?.unref();
}
