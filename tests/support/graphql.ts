import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { type DocumentNode, print } from 'graphql';
import { ClientError, type GraphQLClient, type Variables } from 'graphql-request';

export interface GraphQLErrorShape {
  message: string;
  path?: (string | number)[];
  extensions?: Record<string, unknown> & { code?: string };
}

type Refusal = GraphQLErrorShape & { status: number; data: unknown };

/**
 * Runs an operation that must fail, and returns its first error (and the raw response). A typed
 * document (from @kometpay/schema) checks the variables; a string is for what no client should send.
 */
export async function expectGraphQLError<V extends Variables>(
  client: GraphQLClient,
  document: TypedDocumentNode<unknown, V>,
  variables: V,
): Promise<Refusal>;
export async function expectGraphQLError(client: GraphQLClient, document: string, variables?: Record<string, unknown>): Promise<Refusal>;
export async function expectGraphQLError(client: GraphQLClient, document: string | DocumentNode, variables?: Variables): Promise<Refusal> {
  try {
    await client.request(document, variables);
  } catch (error) {
    if (error instanceof ClientError) {
      const first = (error.response.errors?.[0] ?? { message: 'no errors' }) as GraphQLErrorShape;
      return { ...first, status: error.response.status, data: error.response.data };
    }
    throw error;
  }
  throw new Error(`Expected the operation to fail:\n${typeof document === 'string' ? document : print(document)}`);
}

/** POSTs a raw GraphQL body, for what graphql-request refuses to send (wrong content types, batches). */
export async function rawPost(url: string, body: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
  const text = await response.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, json, text };
}
