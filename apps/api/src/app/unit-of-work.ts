import type { EntityManager } from '@mikro-orm/postgresql';
import { DomainError, ErrorCode } from '../domain/errors.js';
import type { BaseContext } from '../kit/graphql/context.js';
import { type EventScope, EventScopes } from '../kit/graphql/event-scope.js';
import type { AuditResolverContext } from '../modules/audit/index.js';
import type { CheckoutContext, CheckoutResolverContext, PublicBrandingResolverContext } from '../modules/checkout/index.js';
import type { CreditMemoResolverContext } from '../modules/credit-memo/index.js';
import type { CustomerResolverContext } from '../modules/customer/index.js';
import type { InvoiceResolverContext } from '../modules/invoice/index.js';
import { type MerchantActor, type MerchantContext, type MerchantResolverContext, SupervisorGate } from '../modules/merchant/index.js';
import type { PartnerContext, PartnerResolverContext, PaymentEventResolverContext, SubscriptionContext } from '../modules/partner/index.js';
import type { DisputeResolverContext, PaymentsResolverContext, TransactionResolverContext } from '../modules/payments/index.js';
import type { ReportResolverContext } from '../modules/report/index.js';
import type { TerminalResolverContext } from '../modules/terminal/index.js';
import type { VaultResolverContext } from '../modules/vault/index.js';
import type { Orm } from './db/orm.js';
import { type Caller, unauthenticated } from './http/authentication.js';
import { createLoaders, type Loaders } from './loaders.js';
import { type AppDeps, createServices, type Services } from './services.js';

/** Who a unit of work is for: the request's id and, when a client sent it, its address and user agent. */
export interface RequestFacts {
  requestId: string;
  ip: string | null;
  userAgent: string | null;
}

/** One request's unit of work: its own EntityManager fork, the services over it, and the request's facts. */
export type UnitOfWork = BaseContext<Services>;

export type AppMerchantContext = MerchantContext<Services, Loaders>;
export type AppCheckoutContext = CheckoutContext<Services>;
export type AppSubscriptionContext = SubscriptionContext<Services, Loaders>;

/**
 * The one place a request's unit of work and GraphQL context are made: the HTTP endpoints of both
 * schemas, graphql-ws, the webhook and report routes, and the jobs all come here.
 */
export class UnitsOfWork {
  /** Every subscriber of this instance resolves an event in one shared unit of work (see EventScopes). */
  private readonly eventScopes = new EventScopes<EventScope<Services, Loaders>>((key) => {
    const { em, services } = this.open({ requestId: `event:${key}`, ip: null, userAgent: null });
    return { em, services, loaders: createLoaders(em) };
  });

  constructor(
    private readonly orm: Orm,
    private readonly deps: AppDeps,
  ) {}

  /** A fresh EntityManager fork, for work that needs no services. */
  em(): EntityManager {
    return this.orm.em.fork();
  }

  open(facts: RequestFacts): UnitOfWork {
    const em = this.orm.em.fork();
    const { logger, settings, clock } = this.deps;
    return {
      ...facts,
      em,
      logger,
      settings,
      clock,
      services: createServices(em, this.deps, { requestId: facts.requestId, ip: facts.ip, userAgent: facts.userAgent }),
    };
  }

  /** The services of a unit of work with no client behind it (a job, a webhook). */
  services(requestId: string): Services {
    return this.open({ requestId, ip: null, userAgent: null }).services;
  }

  /** A merchant key's operation over HTTP; `supervisorToken` is the X-Supervisor-Token it sent. */
  merchantContext(unit: UnitOfWork, actor: MerchantActor, supervisorToken: string | undefined): AppMerchantContext {
    const supervisor = new SupervisorGate(actor, supervisorToken, unit.services.supervisor, unit.services.audit);
    return { ...unit, actor, loaders: createLoaders(unit.em), supervisor };
  }

  /**
   * A request to the merchant schema with no credential at all: sign-in and accepting an invitation
   * only (the anonymousOperationGate plugin refuses anything else before it runs). `actor` is a
   * non-enumerable getter that throws: Apollo copies the context with Object.assign, which must not call it.
   */
  anonymousMerchantContext(unit: UnitOfWork): AppMerchantContext {
    const context = {
      ...unit,
      anonymous: true,
      loaders: createLoaders(unit.em),
      supervisor: new SupervisorGate(null, undefined, null, null),
    };
    return Object.defineProperty(context, 'actor', {
      enumerable: false,
      get(): never {
        throw unauthenticated('Send your API key or staff session as `Authorization: Bearer <key>`');
      },
    }) as unknown as AppMerchantContext;
  }

  checkoutContext(unit: UnitOfWork): AppCheckoutContext {
    return { ...unit, tokenLookups: this.deps.tokenLookups };
  }

  /** An operation over graphql-ws, for its whole life. Supervisor-only fields are not offered there. */
  subscriptionContext(unit: UnitOfWork, caller: Caller): AppSubscriptionContext {
    const loaders = createLoaders(unit.em);
    const { eventScopes } = this;
    if (caller.kind === 'merchant') {
      return { ...unit, loaders, actor: caller.actor, supervisor: new SupervisorGate(caller.actor, undefined, null, null), eventScopes };
    }
    const partner: PartnerContext<Services, Loaders> & { eventScopes: typeof eventScopes } = {
      ...unit,
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
  }
}

const notForPartners = () => new DomainError(ErrorCode.FORBIDDEN, 'Not available to partner keys');

/**
 * Each resolver names the services and loaders it reads (its module exports that as
 * `…ResolverContext`): the contexts made above must provide them all, or this does not compile.
 */
type Provides<Made extends Needed, Needed> = [Made, Needed];
export type ContextsProvideWhatResolversRead = [
  Provides<
    AppMerchantContext,
    MerchantResolverContext &
      AuditResolverContext &
      CustomerResolverContext &
      InvoiceResolverContext &
      TransactionResolverContext &
      DisputeResolverContext &
      PaymentsResolverContext &
      CreditMemoResolverContext &
      TerminalResolverContext &
      VaultResolverContext &
      ReportResolverContext &
      PartnerResolverContext
  >,
  Provides<AppSubscriptionContext, PaymentEventResolverContext>,
  Provides<AppCheckoutContext, CheckoutResolverContext & PublicBrandingResolverContext>,
];
