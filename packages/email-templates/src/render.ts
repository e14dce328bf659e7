import { readdirSync, readFileSync } from 'node:fs';
import { formatMoney } from '@kometpay/money';
import Handlebars from 'handlebars';
import { type TemplateData, type TemplateName, templateNames } from './template-data.js';
import { readTemplateData } from './validate.js';

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

type Template = Handlebars.TemplateDelegate;

// At the package root, beside both src/ (jest) and dist/ (build).
const templatesDir = new URL('../templates/', import.meta.url);

const dateFormat = new Intl.DateTimeFormat('en-US', { dateStyle: 'long', timeZone: 'UTC' });
const dateTimeFormat = new Intl.DateTimeFormat('en-US', {
  year: 'numeric',
  month: 'long',
  day: 'numeric',
  hour: 'numeric',
  minute: '2-digit',
  timeZone: 'UTC',
  timeZoneName: 'short',
});

let environment: typeof Handlebars | undefined;
const compiled = new Map<TemplateName, { subject: Template; html: Template; text: Template }>();

/** HTML is escaped by Handlebars; subject and text are plain text, where an escape would show as "&amp;". */
function compile(hb: typeof Handlebars, file: string): Template {
  const source = readFileSync(new URL(file, templatesDir), 'utf8');
  return hb.compile(source, { strict: true, noEscape: !file.endsWith('.html.hbs') });
}

function createEnvironment(): typeof Handlebars {
  const hb = Handlebars.create();
  hb.registerHelper({
    money: (amount: bigint, currency: string) => formatMoney(amount, currency),
    date: (date: Date) => dateFormat.format(date),
    dateTime: (date: Date) => dateTimeFormat.format(date),
    eq: (a: unknown, b: unknown) => a === b,
  });
  for (const file of readdirSync(new URL('partials/', templatesDir))) {
    hb.registerPartial(file.replace(/\.hbs$/, ''), compile(hb, `partials/${file}`));
  }
  return hb;
}

function templates(name: TemplateName) {
  let template = compiled.get(name);
  if (!template) {
    const hb = (environment ??= createEnvironment());
    template = {
      subject: compile(hb, `${name}.subject.hbs`),
      html: compile(hb, `${name}.html.hbs`),
      text: compile(hb, `${name}.text.hbs`),
    };
    compiled.set(name, template);
  }
  return template;
}

/** Renders one email; throws TemplateDataError when the data is missing or malformed. */
export function render<N extends TemplateName>(name: N, data: TemplateData[N]): RenderedEmail {
  if (!templateNames.includes(name)) throw new Error(`Unknown email template "${name}"`);
  const view = readTemplateData(name, data);
  const template = templates(name);
  // A newline in a subject would start a new mail header.
  const subject = template.subject(view).replace(/\s+/g, ' ').trim();
  const html = template.html({ ...view, subject });
  // Optional blocks leave blank lines behind; the text version gets at most one between paragraphs.
  const text = `${template
    .text(view)
    .replace(/[ \t]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim()}\n`;
  return { subject, html, text };
}
