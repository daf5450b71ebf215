import { describe, expect, it } from 'vitest';
import { parseXmlTree, startOf } from '../../../src/workers/evidence/xml-tree.js';

describe('evidence XML reader', () => {
  it('builds plain objects: prefixes dropped, attributes as @name, listed elements always arrays', () => {
    const xml = '<?xml version="1.0"?><ns:Doc xmlns:ns="urn:x"><ns:Ntry><ns:Amt Ccy="EUR"> 1 &amp; 2 </ns:Amt><Empty/><Txt><![CDATA[a<b]]></Txt></ns:Ntry></ns:Doc>';
    const { doc, error } = parseXmlTree(xml, new Set(['Ntry']));
    expect(error).toBeNull();
    expect(doc).toEqual({ Doc: { Ntry: [{ Amt: { '#text': '1 & 2', '@Ccy': 'EUR' }, Empty: '', Txt: 'a<b' }] } });
    expect(startOf((doc.Doc as { Ntry: unknown[] }).Ntry[0])).toBe(xml.indexOf('<ns:Ntry>'));
  });

  it('reports a truncated file and mismatched nesting instead of returning part of it', () => {
    expect(parseXmlTree('<a><b>1</b><c>2', new Set()).error).toBe('the XML ends inside <c> (truncated?)');
    expect(parseXmlTree('<a><b>1</a>', new Set()).error).toBe('<b> is not closed before its parent closes');
    expect(parseXmlTree('just text', new Set()).error).toBe('no root element');
  });
});
