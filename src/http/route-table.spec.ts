import { RouteTable } from './http-lifecycle';

describe('RouteTable', () => {
  let sut: RouteTable;

  beforeEach(() => {
    sut = new RouteTable();
    sut.add('/beli', 'POST');
    sut.add('/status/:trx_id', 'GET');
    sut.add('/status/:trx_id', 'HEAD');
    sut.add('/docs', ['GET', 'HEAD']);
    sut.add('/docs/*', 'GET');
    sut.add('/docs-json', 'GET');
  });

  it('lists the methods of the route that matches a path, in the usual order', () => {
    expect(sut.allowedMethods('/beli')).toEqual(['POST']);
    expect(sut.allowedMethods('/status/17')).toEqual(['GET', 'HEAD']);
    expect(sut.allowedMethods('/docs')).toEqual(['GET', 'HEAD']);
  });

  it('matches a parameter as one path segment and a wildcard as the rest', () => {
    expect(sut.allowedMethods('/status/17/extra')).toEqual([]);
    expect(sut.allowedMethods('/status/')).toEqual([]);
    expect(sut.allowedMethods('/docs/swagger-ui.css')).toEqual(['GET']);
  });

  it('hides the routes under a hidden prefix', () => {
    const hiding = new RouteTable(['/admin']);
    hiding.add('/admin/deposit', 'GET');
    hiding.add('/administrasi', 'GET');
    expect(hiding.allowedMethods('/admin/deposit')).toEqual([]);
    expect(hiding.allowedMethods('/administrasi')).toEqual(['GET']);
  });

  it('knows no methods for a path no route serves, and treats dots in routes literally', () => {
    expect(sut.allowedMethods('/tidak-ada')).toEqual([]);
    expect(sut.allowedMethods('/docsXjson')).toEqual([]);
  });
});
