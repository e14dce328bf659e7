import type { EntityManager } from '@mikro-orm/postgresql';
import { badInput } from '../../domain/errors.js';
import type { ProcessorReader } from '../../processors/processor.port.js';
import { ProcessorError } from '../../processors/processor.port.js';
import type { MerchantProcessors } from '../../processors/processor-account.port.js';
import type { MerchantActor } from '../merchant/index.js';
import { TerminalReader } from './terminal-reader.entity.js';

export class TerminalService {
  constructor(
    private readonly em: EntityManager,
    private readonly processors: MerchantProcessors,
  ) {}

  /** Registers a reader at the processor (Stripe Terminal registration code, or the sandbox's simulated-wpe). */
  async register(actor: MerchantActor, input: { label: string; registrationCode: string }): Promise<TerminalReader> {
    const label = input.label.trim();
    if (!label) throw badInput('label', 'label must not be empty');
    const processor = await this.processors.of(actor.merchantId);
    let registered: ProcessorReader;
    try {
      registered = await processor.registerReader({
        idempotencyKey: `reader:${actor.merchantId}:${input.registrationCode}`,
        registrationCode: input.registrationCode,
        label,
      });
    } catch (error) {
      if (error instanceof ProcessorError && !error.retryable) throw badInput('registrationCode', error.message);
      throw error;
    }
    const existing = await this.em.findOne(TerminalReader, { processorReference: registered.reference, merchant: actor.merchantId });
    const reader =
      existing ??
      this.em.create(TerminalReader, {
        merchant: actor.merchantId,
        processorReference: registered.reference,
        label,
        deviceType: registered.deviceType,
        status: registered.status,
      });
    await this.em.flush();
    return reader;
  }

  async list(actor: MerchantActor): Promise<TerminalReader[]> {
    return this.em.find(TerminalReader, { merchant: actor.merchantId }, { orderBy: { createdAt: 'asc' } });
  }
}
