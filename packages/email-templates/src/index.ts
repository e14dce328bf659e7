export { render, type RenderedEmail } from './render.js';
export {
  templateNames,
  type CardSetupLinkEmailData,
  type InvoiceEmailData,
  type InvoiceLine,
  type InvoiceLinkRegeneratedEmailData,
  type MinorUnits,
  type PaymentReceiptEmailData,
  type TemplateData,
  type TemplateName,
} from './template-data.js';
export { TemplateDataError } from './validate.js';
