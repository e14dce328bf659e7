import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { type DocumentNode, print } from 'graphql';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import type { GraphQLErrorShape } from './graphql.js';

/** What one graphql-ws subscription received, as it arrives. */
export interface Recording<T> {
  results: T[];
  errors: GraphQLErrorShape[];
  /** Completed, errored or closed: nothing more will arrive. */
  ended: boolean;
  /** Resolves once `count` results have arrived (fails on an error or after the timeout). */
  waitForResults(count: number, timeoutMs?: number): Promise<T[]>;
  /** Resolves once the stream has ended, with the time it took from this call. */
  waitForEnd(timeoutMs?: number): Promise<number>;
  /** Closes the connection, like a client going away. */
  dispose(): Promise<void>;
}

export function wsUrl(httpUrl: string, path: string): string {
  return `${httpUrl.replace(/^http/, 'ws')}${path}`;
}

/**
 * Subscribes over graphql-ws (with `ws` as the WebSocket), one connection per subscription. A
 * result with errors counts as errors, so that a refusal shows up the same way however it is sent.
 * A typed document (from @kometpay/schema) types the results; a string is for what no client sends.
 */
export function subscribe<T, V extends Record<string, unknown>>(
  url: string,
  document: TypedDocumentNode<T, V>,
  variables: V,
  authorization?: string,
): Recording<T>;
export function subscribe<T = Record<string, any>>(
  url: string,
  query: string,
  variables?: Record<string, unknown>,
  authorization?: string,
): Recording<T>;
export function subscribe<T>(
  url: string,
  document: string | DocumentNode,
  variables: Record<string, unknown> = {},
  authorization?: string,
): Recording<T> {
  const query = typeof document === 'string' ? document : print(document);
  const listeners = new Set<() => void>();
  const changed = () => {
    for (const listener of listeners) listener();
  };
  const client: Client = createClient({
    url,
    webSocketImpl: WebSocket,
    connectionParams: authorization ? { authorization } : undefined,
    retryAttempts: 0,
    lazy: true,
  });
  const recording: Recording<T> = {
    results: [],
    errors: [],
    ended: false,
    waitForResults(count, timeoutMs = 5000) {
      return waitUntil(
        () => {
          if (recording.results.length >= count) return recording.results.slice(0, count);
          if (recording.errors.length) throw new Error(`subscription failed: ${JSON.stringify(recording.errors)}`);
          if (recording.ended) throw new Error(`subscription ended after ${recording.results.length} of ${count} results`);
          return undefined;
        },
        timeoutMs,
        () => `only ${recording.results.length} of ${count} results`,
      );
    },
    waitForEnd(timeoutMs = 5000) {
      const started = performance.now();
      return waitUntil(
        () => (recording.ended ? performance.now() - started : undefined),
        timeoutMs,
        () => 'the subscription did not end',
      );
    },
    dispose: () => client.dispose() as Promise<void>,
  };
  function waitUntil<R>(check: () => R | undefined, timeoutMs: number, describe: () => string): Promise<R> {
    return new Promise((resolve, reject) => {
      const listener = () => {
        try {
          const value = check();
          if (value === undefined) return;
          finish();
          resolve(value);
        } catch (error) {
          finish();
          reject(error);
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`${describe()} within ${timeoutMs} ms`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        listeners.delete(listener);
      };
      listeners.add(listener);
      listener();
    });
  }

  client.subscribe<T>(
    { query, variables },
    {
      next(result) {
        if (result.errors?.length) recording.errors.push(...(result.errors as GraphQLErrorShape[]));
        else recording.results.push(result.data as T);
        changed();
      },
      error(error) {
        if (Array.isArray(error)) recording.errors.push(...error);
        else
          recording.errors.push({
            // Not `instanceof Error`: a socket's error comes from Node's realm, not the test's (jest's vm context).
            message:
              typeof (error as Error | undefined)?.message === 'string'
                ? (error as Error).message
                : `connection closed (${(error as { code?: number }).code})`,
          });
        recording.ended = true;
        changed();
      },
      complete() {
        recording.ended = true;
        changed();
      },
    },
  );
  return recording;
}
