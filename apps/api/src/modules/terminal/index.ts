export type { Context as TerminalResolverContext } from './terminal.resolver.js';
export { TerminalService } from './terminal.service.js';
export { TerminalReader } from './terminal-reader.entity.js';
