/// <reference path="./data-urls.d.ts" />
/// <reference path="./jsdom.d.ts" />
import { createHash } from 'node:crypto';
import { type Colord, colord, extend } from 'colord';
import a11yPlugin from 'colord/plugins/a11y';
import parseDataURL from 'data-urls';
import type { DOMPurify } from 'dompurify';
import { fileTypeFromBuffer } from 'file-type';
import type { JSDOM } from 'jsdom';
import { badInput } from '../../domain/errors.js';
import type { Merchant } from './merchant.entity.js';

extend([a11yPlugin]);

export const MAX_LOGO_BYTES = 200 * 1024;

const LOGO_TYPES = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/svg+xml': 'svg' } as const;
export type LogoContentType = keyof typeof LOGO_TYPES;

/** `#abc` or `#aabbcc`, any case, as `#aabbcc`. Nothing else: the value lands in CSS and HTML attributes. */
export function normaliseAccentColor(input: string): string {
  const value = input.trim();
  if (!/^#([0-9a-f]{3}|[0-9a-f]{6})$/i.test(value)) throw badInput('accentColor', 'accentColor must be a hex colour such as #1d4ed8');
  return (colord(value) as Colord).toHex().toLowerCase();
}

/** Black or white, whichever contrasts more with the accent colour: text on it then meets WCAG AA whenever either can. */
export function textColorOn(accentColor: string): '#000000' | '#ffffff' {
  const accent = colord(accentColor);
  return accent.contrast('#000000') >= accent.contrast('#ffffff') ? '#000000' : '#ffffff';
}

export interface Logo {
  contentType: LogoContentType;
  data: Buffer;
}

let purifier: Promise<{ purify: DOMPurify; window: JSDOM['window'] }> | undefined;

/**
 * DOMPurify on jsdom (the DOM its authors recommend on a server), set up once. Beyond its SVG
 * allowlist (no scripts, no event handlers, no foreignObject), nothing may point outside the image:
 * href/xlink:href only to `#fragments`, no `url(...)` but `url(#fragment)`, and no <style>, <a>,
 * <image> or animation elements (which could rewrite an attribute after sanitising). Loaded on the
 * first SVG only: jsdom is heavy, and most processes never see an SVG logo.
 */
function svgPurifier() {
  purifier ??= createPurifier();
  return purifier;
}

async function createPurifier() {
  const [{ JSDOM }, { default: createDOMPurify }] = await Promise.all([import('jsdom'), import('dompurify')]);
  const { window } = new JSDOM('');
  const purify = createDOMPurify(window as unknown as Parameters<typeof createDOMPurify>[0]);
  purify.addHook('uponSanitizeAttribute', (_node, data) => {
    const value = data.attrValue.trim();
    if ((data.attrName === 'href' || data.attrName === 'xlink:href') && !value.startsWith('#')) data.keepAttr = false;
    for (const [, target] of value.matchAll(/url\(\s*['"]?([^'")]*)/gi)) {
      if (!target.trim().startsWith('#')) data.keepAttr = false;
    }
    if (/@import|expression\(/i.test(value)) data.keepAttr = false;
  });
  return { purify, window };
}

/** A sanitised, standalone SVG document, or a coded error when nothing image-like is left. */
export async function sanitiseSvg(source: string): Promise<Buffer> {
  const { purify, window } = await svgPurifier();
  const fragment = purify.sanitize(source, {
    USE_PROFILES: { svg: true, svgFilters: true },
    FORBID_TAGS: ['style', 'a', 'image', 'feImage', 'foreignObject', 'animate', 'animateMotion', 'animateTransform', 'set', 'use'],
    RETURN_DOM_FRAGMENT: true,
  });
  const root = [...fragment.childNodes].find((node) => node.nodeType === 1);
  if (root?.nodeName.toLowerCase() !== 'svg' || fragment.children.length !== 1) {
    throw badInput('logo', 'The logo is not an SVG image');
  }
  // XML serialisation (not HTML): namespaces declared, every element closed, so it stands alone as image/svg+xml.
  const xml = new window.XMLSerializer().serializeToString(root);
  const reparsed = new window.DOMParser().parseFromString(xml, 'image/svg+xml');
  if (reparsed.getElementsByTagName('parsererror').length || reparsed.documentElement.nodeName !== 'svg') {
    throw badInput('logo', 'The logo is not a well-formed SVG image');
  }
  return Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n${xml}\n`, 'utf8');
}

/**
 * A logo uploaded as a data: URL (PNG, JPEG or SVG, at most 200 KB): parsed as browsers parse data
 * URLs, its bytes checked against the type it claims (magic bytes for PNG and JPEG), an SVG sanitised.
 */
export async function parseLogo(dataUrl: string): Promise<Logo> {
  if (dataUrl.length > MAX_LOGO_BYTES * 2) throw badInput('logo', 'The logo may be at most 200 KB');
  const parsed = dataUrl.trimStart().toLowerCase().startsWith('data:') ? parseDataURL(dataUrl) : null;
  if (!parsed) throw badInput('logo', 'logo must be a data: URL, e.g. data:image/png;base64,...');
  const contentType = parsed.mimeType.essence;
  if (!(contentType in LOGO_TYPES)) throw badInput('logo', 'The logo must be a PNG, JPEG or SVG image');
  const data = Buffer.from(parsed.body);
  if (data.length === 0) throw badInput('logo', 'The logo is empty');
  if (data.length > MAX_LOGO_BYTES) throw badInput('logo', 'The logo may be at most 200 KB');
  const detected = await fileTypeFromBuffer(data);
  if (contentType === 'image/svg+xml') {
    if (detected) throw badInput('logo', `The logo claims to be SVG but is ${detected.mime}`);
    return { contentType, data: await sanitiseSvg(data.toString('utf8')) };
  }
  if (detected?.mime !== contentType)
    throw badInput('logo', `The logo's bytes are not a ${LOGO_TYPES[contentType as LogoContentType].toUpperCase()} image`);
  return { contentType: contentType as LogoContentType, data };
}

export function logoDigest(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Where the API serves a logo: the digest in the path makes every version its own, forever-cacheable URL. */
export function logoPath(merchantId: string, digest: string, contentType: string): string {
  return `/branding/${merchantId}/logo-${digest.slice(0, 32)}.${LOGO_TYPES[contentType as LogoContentType] ?? 'bin'}`;
}

/** The content id of the logo attached to emails (multipart/related), stable per logo version. */
export function logoContentId(digest: string): string {
  return `logo-${digest.slice(0, 16)}@kometpay`;
}

export interface MerchantBranding {
  displayName: string;
  supportEmail: string | null;
  accentColor: string | null;
  accentTextColor: string | null;
  /** Absolute URL on the API, or null without a logo. */
  logoUrl: string | null;
}

export function brandingOf(merchant: Merchant, publicApiUrl: string): MerchantBranding {
  const accentColor = merchant.accentColor ?? null;
  return {
    displayName: merchant.name,
    supportEmail: merchant.supportEmail ?? null,
    accentColor,
    accentTextColor: accentColor ? textColorOn(accentColor) : null,
    logoUrl:
      merchant.logoDigest && merchant.logoContentType
        ? `${publicApiUrl}${logoPath(merchant.id, merchant.logoDigest, merchant.logoContentType)}`
        : null,
  };
}
