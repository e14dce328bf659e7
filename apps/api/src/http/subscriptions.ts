import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import {
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  GraphQLError,
  type GraphQLSchema,
  type ValidationRule,
  createSourceEventStream,
  execute,
  parse,
  print,
  specifiedRules,
  validate,
} from 'graphql';
import type { SubscribePayload } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Orm } from '../db/orm.js';
import { DomainError, ErrorCode } from '../domain/errors.js';
import type { CheckoutContext, MerchantContext, PartnerContext, SubscriptionContext } from '../graphql/context.js';
import { formatSubscriptionErrors } from '../graphql/errors.js';
import { EventScopes } from '../graphql/event-scope.js';
import { createLoaders } from '../graphql/loaders.js';
import { SupervisorGate } from '../modules/merchant/supervisor.service.js';
import { partnerOperationRule } from '../modules/partner/partner-operation.rule.js';
import { type AppDeps, createServices } from '../services.js';
import { type Caller, authenticateCaller, bearerKey, unauthenticated } from './authentication.js';

export interface SubscriptionServerOptions {
  httpServer: http.Server;
  merchantSchema: GraphQLSchema;
  checkoutSchema: GraphQLSchema;
  orm: Orm;
  deps: AppDeps;
  /** The query limits the HTTP endpoints apply (depth, cost, aliases, directives). */
  validationRules: ValidationRule[];
}

export interface SubscriptionServers {
  close(): Promise<void>;
}

/** Apollo's parse limit on the HTTP endpoints, applied to WebSocket operations too. */
const MAX_TOKENS = 10_000;

function withCode(error: GraphQLError, code: string): GraphQLError {
  if (error.extensions.code) return error;
  return new GraphQLError(error.message, { nodes: error.nodes, source: error.source, positions: error.positions, extensions: { ...error.extensions, code } });
}

/** Parses and validates as the HTTP endpoints do, plus the rules of the caller's kind. */
function prepare(schema: GraphQLSchema, payload: SubscribePayload, rules: ValidationRule[]): ExecutionArgs | GraphQLError[] {
  let document: DocumentNode;
  try {
    document = parse(payload.query, { maxTokens: MAX_TOKENS });
  } catch (error) {
    return [withCode(error as GraphQLError, 'GRAPHQL_PARSE_FAILED')];
  }
  const errors = validate(schema, document, [...specifiedRules, ...rules]);
  if (errors.length) return errors.map((error) => withCode(error, 'GRAPHQL_VALIDATION_FAILED'));
  return { schema, document, variableValues: payload.variables, operationName: payload.operationName };
}

const notForPartners = () => new DomainError(ErrorCode.FORBIDDEN, 'Not available to partner keys');

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

const callerKey = (ctx: SubscriptionContext) => ('partner' in ctx ? `partner:${ctx.partner.partnerId}` : `merchant:${ctx.actor.merchantId}`);

/**
 * graphql-ws on the same HTTP server as the GraphQL endpoints, one WebSocket server per schema:
 * `/graphql` (merchant and partner keys, sent as `connectionParams.authorization`) and
 * `/checkout/graphql` (public: a payment link's token is the capability). Upgrades are routed by path.
 */
export function attachSubscriptionServers(options: SubscriptionServerOptions): SubscriptionServers {
  const { httpServer, orm, deps, validationRules } = options;
  const { logger, settings, clock } = deps;

  const unitOfWork = (requestId: string, ip: string | null) => {
    const em = orm.em.fork();
    return { requestId, ip, userAgent: null, em, logger, settings, clock, services: createServices(em, deps, { requestId, ip }) };
  };
  const eventScopes = new EventScopes((key) => {
    const { em, services } = unitOfWork(`event:${key}`, null);
    return { em, services, loaders: createLoaders(em) };
  });

  const contextFor = (caller: Caller, base: ReturnType<typeof unitOfWork>): SubscriptionContext => {
    const loaders = createLoaders(base.em);
    if (caller.kind === 'merchant') {
      const merchant: MerchantContext = { ...base, loaders, actor: caller.actor, supervisor: new SupervisorGate(caller.actor, undefined, null, null) };
      return { ...merchant, eventScopes };
    }
    const partner: PartnerContext & { eventScopes: EventScopes } = {
      ...base,
      loaders,
      partner: caller.partner,
      eventScopes,
      get actor(): never {
        throw notForPartners();
      },
      get supervisor(): never {
        throw notForPartners();
      },
    };
    return partner;
  };

  const formatting = {
    onNext: (_ctx: unknown, id: string, _payload: SubscribePayload, args: ExecutionArgs, result: { errors?: readonly GraphQLError[] }) => {
      if (!result.errors) return undefined;
      const { requestId } = args.contextValue as { requestId: string };
      return { ...result, errors: formatSubscriptionErrors(result.errors, { logger, requestId, operationId: id }) };
    },
    onError: (_ctx: unknown, id: string, _payload: SubscribePayload, errors: readonly GraphQLError[]) =>
      formatSubscriptionErrors(errors, { logger, requestId: id, operationId: id }),
  };
  const remoteAddress = (request: http.IncomingMessage) => request.socket.remoteAddress ?? null;

  const merchantWs = new WebSocketServer({ noServer: true });
  const merchantServer = useServer<{ authorization?: string }>(
    {
      // The key is checked when the connection opens and again for each operation (it may be revoked meanwhile).
      onConnect: async (ctx) => {
        const { services } = unitOfWork(randomUUID(), remoteAddress(ctx.extra.request));
        return Boolean(await authenticateCaller(bearerKey(ctx.connectionParams?.authorization), services));
      },
      onSubscribe: async (ctx, _id, payload) => {
        const base = unitOfWork(randomUUID(), remoteAddress(ctx.extra.request));
        const caller = await authenticateCaller(bearerKey(ctx.connectionParams?.authorization), base.services);
        if (!caller) return [unauthenticated('The API key is not valid')];
        const prepared = prepare(options.merchantSchema, payload, caller.kind === 'partner' ? [...validationRules, partnerOperationRule] : validationRules);
        if (Array.isArray(prepared)) return prepared;
        return { ...prepared, contextValue: contextFor(caller, base) };
      },
      subscribe: (args) => subscribeSharingResults(args, callerKey(args.contextValue as SubscriptionContext)),
      ...formatting,
    },
    merchantWs,
  );

  const checkoutWs = new WebSocketServer({ noServer: true });
  const checkoutServer = useServer(
    {
      onSubscribe: (ctx, _id, payload) => {
        const prepared = prepare(options.checkoutSchema, payload, validationRules);
        if (Array.isArray(prepared)) return prepared;
        const contextValue: CheckoutContext = { ...unitOfWork(randomUUID(), remoteAddress(ctx.extra.request)), tokenLookups: deps.tokenLookups };
        return { ...prepared, contextValue };
      },
      ...formatting,
    },
    checkoutWs,
  );

  const serversByPath = new Map([
    ['/graphql', merchantWs],
    ['/checkout/graphql', checkoutWs],
  ]);
  const onUpgrade = (request: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const server = serversByPath.get(new URL(request.url ?? '/', 'http://localhost').pathname);
    if (!server) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    server.handleUpgrade(request, socket, head, (ws) => server.emit('connection', ws, request));
  };
  httpServer.on('upgrade', onUpgrade);

  return {
    async close() {
      httpServer.off('upgrade', onUpgrade);
      await Promise.all([merchantServer.dispose(), checkoutServer.dispose()]);
    },
  };
}
