import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import {
  createSourceEventStream,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  execute,
  GraphQLError,
  type GraphQLSchema,
  getOperationAST,
  parse,
  print,
  specifiedRules,
  type ValidationRule,
  validate,
} from 'graphql';
import type { SubscribePayload } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { type WebSocket, WebSocketServer } from 'ws';
import { limitKeyOf } from '../../domain/address-limit-key.js';
import { ErrorCode } from '../../domain/errors.js';
import { formatSubscriptionErrors } from '../../kit/graphql/errors.js';
import { refusedInput } from '../../kit/graphql/input-guards.js';
import type { Logger } from '../../kit/logger.js';
import type { Settings } from '../../kit/settings.js';
import { partnerOperationRule } from '../../modules/partner/index.js';
import type { AppSubscriptionContext, UnitsOfWork } from '../unit-of-work.js';
import { authenticateCaller, bearerKey, unauthenticated } from './authentication.js';
import { refuseUpgrade, WebSocketLimits } from './websocket-limits.js';

export interface SubscriptionServerOptions {
  httpServer: http.Server;
  merchantSchema: GraphQLSchema;
  checkoutSchema: GraphQLSchema;
  units: UnitsOfWork;
  logger: Logger;
  settings: Settings;
  /** The query limits the HTTP endpoints apply (depth, cost, aliases, directives). */
  validationRules: ValidationRule[];
  /** The client's address, derived as for HTTP requests (TRUST_PROXY). */
  clientAddress(request: http.IncomingMessage): string | null;
}

export interface SubscriptionServers {
  close(): Promise<void>;
  /** Subscriptions running now on this instance, both endpoints (the kometpay_subscribers gauge). */
  subscriberCount(): number;
}

/** Apollo's parse limit on the HTTP endpoints, applied to WebSocket operations too. */
const MAX_TOKENS = 10_000;

function withCode(error: GraphQLError, code: string): GraphQLError {
  if (error.extensions.code) return error;
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    extensions: { ...error.extensions, code },
  });
}

/**
 * Parses and validates as the HTTP endpoints do, plus the rules of the caller's kind, then applies
 * the same input checks. Only subscriptions are taken: a query or mutation here would bypass what
 * Apollo's plugins do for HTTP (error logging with the request id, the HTTP status, whatever is added
 * there later), and HTTP serves them already; one path for each keeps one set of checks.
 */
function prepare(
  schema: GraphQLSchema,
  payload: SubscribePayload,
  rules: ValidationRule[],
  hideSuggestions: boolean,
): ExecutionArgs | GraphQLError[] {
  let document: DocumentNode;
  try {
    document = parse(payload.query, { maxTokens: MAX_TOKENS });
  } catch (error) {
    return [withCode(error as GraphQLError, 'GRAPHQL_PARSE_FAILED')];
  }
  // As Apollo's hideSchemaDetailsFromClientErrors over HTTP: no "Did you mean …?" in production.
  const errors = validate(schema, document, [...specifiedRules, ...rules], { hideSuggestions });
  if (errors.length) return errors.map((error) => withCode(error, 'GRAPHQL_VALIDATION_FAILED'));
  const operation = getOperationAST(document, payload.operationName);
  if (operation && operation.operation !== 'subscription') {
    return [
      new GraphQLError(`Only subscriptions are served over WebSocket; send this ${operation.operation} over HTTP (POST)`, {
        extensions: { code: ErrorCode.SUBSCRIPTIONS_ONLY },
      }),
    ];
  }
  const refusal = refusedInput(document, operation, payload.variables);
  if (refusal) return [refusal];
  return { schema, document, variableValues: payload.variables, operationName: payload.operationName };
}

/** Maps a stream's values; `return()` reaches the source at once, so a client going away never waits for the next event. */
function mapStream<T, U>(source: AsyncIterator<T>, map: (value: T) => U | Promise<U>): AsyncIterableIterator<U> {
  return {
    async next() {
      const item = await source.next();
      return item.done ? { value: undefined, done: true } : { value: await map(item.value), done: false };
    },
    async return() {
      await source.return?.();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/** Live events are one row object for every subscriber of the instance: results are keyed on it. */
const sharedResults = new WeakMap<object, Map<string, Promise<ExecutionResult>>>();

/**
 * graphql-js's subscribe, except that subscribers of this instance running the same operation with
 * the same variables for the same caller get one execution per event, shared: an event costs what
 * the distinct operations following it cost, not what its subscribers number. (Each stream still
 * decides on its own, with its own authorization, whether an event reaches it.)
 */
async function subscribeSharingResults(args: ExecutionArgs, caller: string) {
  const source = await createSourceEventStream(args);
  if (!(Symbol.asyncIterator in source)) return source;
  const key = [caller, args.operationName ?? '', JSON.stringify(args.variableValues ?? {}), print(args.document)].join('\n');
  return mapStream(source[Symbol.asyncIterator](), (event) => {
    const run = () => execute({ ...args, rootValue: event });
    if (typeof event !== 'object' || event === null) return run();
    let results = sharedResults.get(event);
    if (!results) sharedResults.set(event, (results = new Map()));
    let result = results.get(key);
    if (!result) results.set(key, (result = Promise.resolve(run())));
    return result;
  });
}

const callerKey = (ctx: AppSubscriptionContext) =>
  'partner' in ctx ? `partner:${ctx.partner.partnerId}` : `merchant:${ctx.actor.merchantId}`;

/**
 * graphql-ws on the same HTTP server as the GraphQL endpoints, one WebSocket server per schema:
 * `/graphql` (merchant and partner keys, sent as `connectionParams.authorization`) and
 * `/checkout/graphql` (public: a payment link's token is the capability). Upgrades are routed by path.
 */
export function attachSubscriptionServers(options: SubscriptionServerOptions): SubscriptionServers {
  const { httpServer, units, logger, settings, validationRules } = options;
  const limits = new WebSocketLimits({
    maxConnectionsPerAddress: settings.wsMaxConnectionsPerAddress,
    maxSubscriptionsPerConnection: settings.wsMaxSubscriptionsPerConnection,
  });
  const unitOfWork = (requestId: string, ip: string | null) => units.open({ requestId, ip, userAgent: null });

  const formatting = {
    onNext: (_ctx: unknown, id: string, _payload: SubscribePayload, args: ExecutionArgs, result: { errors?: readonly GraphQLError[] }) => {
      if (!result.errors) return undefined;
      const { requestId } = args.contextValue as { requestId: string };
      return { ...result, errors: formatSubscriptionErrors(result.errors, { logger, requestId, operationId: id }) };
    },
    onError: (_ctx: unknown, id: string, _payload: SubscribePayload, errors: readonly GraphQLError[]) =>
      formatSubscriptionErrors(errors, { logger, requestId: id, operationId: id }),
  };
  const remoteAddress = options.clientAddress;
  /** Connections that subscribed at least once, until they close: their running subscriptions are counted at scrape time. */
  const connections = new Set<{ subscriptions: Record<string, unknown> }>();

  // maxPayload: `ws` reads a message whole before graphql-ws parses it, and before any key is checked;
  // its default is 100 MiB. A frame announcing more closes the connection (1009) before it is buffered.
  const merchantWs = new WebSocketServer({ noServer: true, maxPayload: settings.wsMaxMessageBytes });
  const merchantServer = useServer<{ authorization?: string }>(
    {
      // The key is checked when the connection opens and again for each operation (it may be revoked meanwhile).
      onConnect: async (ctx) => {
        const { services } = unitOfWork(randomUUID(), remoteAddress(ctx.extra.request));
        return Boolean(await authenticateCaller(bearerKey(ctx.connectionParams?.authorization), services));
      },
      onClose: (ctx) => void connections.delete(ctx),
      onSubscribe: async (ctx, _id, payload) => {
        connections.add(ctx);
        const tooMany = limits.refuseExtraSubscription(ctx.subscriptions);
        if (tooMany) return tooMany;
        const base = unitOfWork(randomUUID(), remoteAddress(ctx.extra.request));
        const caller = await authenticateCaller(bearerKey(ctx.connectionParams?.authorization), base.services);
        if (!caller) return [unauthenticated('The API key is not valid')];
        const prepared = prepare(
          options.merchantSchema,
          payload,
          caller.kind === 'partner' ? [...validationRules, partnerOperationRule] : validationRules,
          settings.production,
        );
        if (Array.isArray(prepared)) return prepared;
        return { ...prepared, contextValue: units.subscriptionContext(base, caller) };
      },
      subscribe: (args) => subscribeSharingResults(args, callerKey(args.contextValue as AppSubscriptionContext)),
      ...formatting,
    },
    merchantWs,
  );

  const checkoutWs = new WebSocketServer({ noServer: true, maxPayload: settings.wsMaxMessageBytes });
  const checkoutServer = useServer(
    {
      onClose: (ctx) => void connections.delete(ctx),
      onSubscribe: (ctx, _id, payload) => {
        connections.add(ctx);
        const tooMany = limits.refuseExtraSubscription(ctx.subscriptions);
        if (tooMany) return tooMany;
        const prepared = prepare(options.checkoutSchema, payload, validationRules, settings.production);
        if (Array.isArray(prepared)) return prepared;
        return { ...prepared, contextValue: units.checkoutContext(unitOfWork(randomUUID(), remoteAddress(ctx.extra.request))) };
      },
      ...formatting,
    },
    checkoutWs,
  );

  const serversByPath = new Map([
    ['/graphql', merchantWs],
    ['/checkout/graphql', checkoutWs],
  ]);
  // A message over maxPayload, or a broken frame, is an error on the socket, which `ws` closes by
  // itself; graphql-ws would print each one to stderr as an internal error. Logged here instead, once.
  const quietErrors = (ws: WebSocket, address: string | null) => {
    ws.removeAllListeners('error');
    ws.once('error', (err: Error & { code?: string }) =>
      logger.info({ code: err.code, message: err.message, address }, 'websocket closed on a protocol error'),
    );
  };
  const onUpgrade = (request: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const server = serversByPath.get(new URL(request.url ?? '/', 'http://localhost').pathname);
    if (!server) return refuseUpgrade(socket, 404, 'No WebSocket endpoint here: use /graphql or /checkout/graphql');
    const address = remoteAddress(request);
    if (!limits.admit(limitKeyOf(address), socket)) {
      return refuseUpgrade(
        socket,
        429,
        `At most ${settings.wsMaxConnectionsPerAddress} WebSocket connections may be open from one address`,
      );
    }
    server.handleUpgrade(request, socket, head, (ws) => {
      server.emit('connection', ws, request);
      quietErrors(ws, address);
    });
  };
  httpServer.on('upgrade', onUpgrade);

  return {
    subscriberCount: () => [...connections].reduce((count, ctx) => count + Object.keys(ctx.subscriptions).length, 0),
    async close() {
      httpServer.off('upgrade', onUpgrade);
      await Promise.all([merchantServer.dispose(), checkoutServer.dispose()]);
    },
  };
}
