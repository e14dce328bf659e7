import { ClientError, type GraphQLClient } from 'graphql-request';

export interface GraphQLErrorShape {
  message: string;
  path?: (string | number)[];
  extensions?: Record<string, unknown> & { code?: string };
}

/** Runs an operation that must fail, and returns its first error (and the raw response). */
export async function expectGraphQLError(
  client: GraphQLClient,
  document: string,
  variables?: Record<string, unknown>,
): Promise<GraphQLErrorShape & { status: number; data: unknown }> {
  try {
    await client.request(document, variables);
  } catch (error) {
    if (error instanceof ClientError) {
      const first = (error.response.errors?.[0] ?? { message: 'no errors' }) as GraphQLErrorShape;
      return { ...first, status: error.response.status, data: error.response.data };
    }
    throw error;
  }
  throw new Error(`Expected the operation to fail:\n${document}`);
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
