export { ProcessorEventService } from './processor-event.service.js';
