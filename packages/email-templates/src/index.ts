export { type RenderedEmail, render } from './render.js';
export {
  type CardSetupLinkEmailData,
  type EmailBranding,
  type InvoiceEmailData,
  type InvoiceLine,
  type InvoiceLinkRegeneratedEmailData,
  type MinorUnits,
  type PaymentReceiptEmailData,
  type StaffInvitationEmailData,
  type TemplateData,
  type TemplateName,
  templateNames,
} from './template-data.js';
export { TemplateDataError } from './validate.js';
