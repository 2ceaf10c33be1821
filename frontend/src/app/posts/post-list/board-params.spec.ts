import { convertToParamMap } from '@angular/router';

import { boardQueryParams, boardViewFrom } from './board-params';

describe('board view in the address', () => {
  const view = (params: Record<string, string>) => boardViewFrom(convertToParamMap(params));

  it('reads ?sort= (hot when absent or unknown) and ?q= (trimmed)', () => {
    expect(view({})).toEqual({ sort: 'hot', query: '' });
    expect(view({ sort: 'new' })).toEqual({ sort: 'new', query: '' });
    expect(view({ sort: 'best' })).toEqual({ sort: 'hot', query: '' });
    expect(view({ q: ' harbour lights ' })).toEqual({ sort: 'hot', query: 'harbour lights' });
  });

  it('writes sort only when it is not the default, and q in place of sort', () => {
    expect(boardQueryParams({ sort: 'top', query: '' })).toEqual({ q: null, sort: 'top' });
    expect(boardQueryParams({ sort: 'hot', query: '' })).toEqual({ q: null, sort: null });
    expect(boardQueryParams({ sort: 'top', query: 'café' })).toEqual({ q: 'café', sort: null });
  });
});
