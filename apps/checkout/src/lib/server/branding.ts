import { createHash } from 'node:crypto';
import type { Branding } from '$lib/payment-link';
import type { Sources } from './content-security-policy';

/** A merchant's look on one page: the inline theme (if any), and what the page's policy must allow for it. */
export interface Theme {
  /** `:root{...}` custom properties, or null for KometPay's own colours. */
  css: string | null;
  /** The logo's origin (the API), for img-src. */
  logoOrigin: string | null;
}

const HEX = /^#[0-9a-f]{6}$/;

/**
 * The accent colour as CSS custom properties. The API only stores #rrggbb, and it is checked again
 * here: this text is written into the page's <style>, so nothing but a hex colour may reach it.
 */
export function themeOf(branding: Branding | null | undefined): Theme {
  const accent = branding?.accentColor ?? '';
  const onAccent = branding?.accentTextColor ?? '';
  const css =
    HEX.test(accent) && HEX.test(onAccent) ? `:root{--accent:${accent};--on-accent:${onAccent};--accent-hover:brightness(0.92)}` : null;
  const logo = branding?.logoUrl ? URL.parse(branding.logoUrl) : null;
  return { css, logoOrigin: logo && (logo.protocol === 'https:' || logo.protocol === 'http:') ? logo.origin : null };
}

/** The theme's inline <style> by its hash (CSP2), and the logo's origin. */
export function themeSources(theme: Theme | undefined): Sources {
  if (!theme) return {};
  return {
    ...(theme.css ? { 'style-src': [`'sha256-${createHash('sha256').update(theme.css).digest('base64')}'`] } : {}),
    ...(theme.logoOrigin ? { 'img-src': [theme.logoOrigin] } : {}),
  };
}
