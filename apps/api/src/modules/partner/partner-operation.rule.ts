import { type ASTNode, GraphQLError, type ValidationRule } from 'graphql';
import { ErrorCode } from '../../domain/errors.js';

/** Fields that act with the merchant's own authority beyond the event at hand: its other invoices, its card vault. */
const MERCHANT_ONLY_FIELDS = new Set(['Customer.invoices', 'Customer.vaultedCards']);

const forbidden = (message: string, node: ASTNode) => new GraphQLError(message, { nodes: node, extensions: { code: ErrorCode.FORBIDDEN } });

/**
 * What a partner key may run: the payment status subscription, and within an event only the event's
 * transaction and invoices (not the merchant's other data). Checked before anything executes.
 */
export const partnerOperationRule: ValidationRule = (context) => ({
  OperationDefinition(node) {
    if (node.operation !== 'subscription') context.reportError(forbidden('A partner key may only subscribe to paymentStatusChanged', node));
  },
  Field(node) {
    const parent = context.getParentType()?.name;
    if (parent === 'Subscription' && node.name.value !== 'paymentStatusChanged') {
      context.reportError(forbidden('A partner key may only subscribe to paymentStatusChanged', node));
    } else if (parent && MERCHANT_ONLY_FIELDS.has(`${parent}.${node.name.value}`)) {
      context.reportError(forbidden(`${parent}.${node.name.value} is not available to partner keys`, node));
    }
  },
});
