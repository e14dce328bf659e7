import { getOperationAST, parse } from 'graphql';
import { MAX_VARIABLE_DEPTH, refusedInput } from '../input-guards.js';

const document = parse('query ($token: String!, $input: [String!]) { a }');
const operation = getOperationAST(document);
const nestedArray = (depth: number): unknown => {
  let value: unknown = 'x';
  for (let level = 0; level < depth; level++) value = [value];
  return value;
};

describe('refusedInput', () => {
  it(`walks 100,000 levels without recursion, refusing past ${MAX_VARIABLE_DEPTH} with the path`, () => {
    const refusal = refusedInput(document, operation, { token: nestedArray(100_000) });
    expect(refusal?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: `token${'.0'.repeat(MAX_VARIABLE_DEPTH)}` });
    expect(refusedInput(document, operation, { token: nestedArray(MAX_VARIABLE_DEPTH) })).toBeNull();
  });

  it('names the first malformed string of the declared variables', () => {
    expect(refusedInput(document, operation, { input: ['ok', 'bad\u0000'] })?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'input.1',
    });
    expect(refusedInput(document, operation, { token: '\uD800' })?.extensions?.field).toBe('token');
  });

  it('never reads variables the operation does not declare', () => {
    const variables = Object.defineProperty({ token: 'fine' }, 'junk', {
      enumerable: true,
      get() {
        throw new Error('an undeclared variable was read');
      },
    });
    expect(refusedInput(document, operation, variables)).toBeNull();
    expect(refusedInput(document, operation, { token: 'fine', other: nestedArray(50_000), nul: '\u0000' })).toBeNull();
  });

  it('refuses malformed text written in the document itself', () => {
    const written = parse('{ a(b: "\\u0000") }');
    expect(refusedInput(written, getOperationAST(written), {})?.extensions?.field).toBe('query');
  });
});
