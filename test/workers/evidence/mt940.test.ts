import { describe, expect, it } from 'vitest';
import { parseEvidenceItem } from '../../../src/workers/evidence/index.js';
import { attachment, brief, parseFixture } from './helpers.js';

describe('evidence: MT940', () => {
  it('reads every :61: of every statement with the statement currency and the D/C mark', async () => {
    const r = await parseFixture('statement.mt940.txt');
    expect(r.format).toBe('mt940');
    expect(r.accounts).toEqual(['NL91ABNA0417164300', '37040044/0532013000']);
    expect(r.transactions.map(brief)).toEqual([
      { date: '2026-11-03', amount: 620000, currency: 'EUR', direction: 'debit', counterparty: 'Orion Shell Holdings Ltd' },
      { date: '2026-11-04', amount: 1500, currency: 'EUR', direction: 'credit', counterparty: 'Harbor Freight Logistics LLC' },
      { date: '2026-11-30', amount: 12.5, currency: 'EUR', direction: 'debit', counterparty: null },
      { date: '2026-12-31', amount: 250, currency: 'EUR', direction: 'debit', counterparty: 'Blue Dune Trading FZE' },
      { date: '2027-01-02', amount: 75, currency: 'EUR', direction: 'credit', counterparty: 'Alpine Rentals AG' },
    ]);
  });

  it('reads the SWIFT /BENM//NAME/ subfields of :86:', async () => {
    const r = await parseFixture('statement.mt940.txt');
    expect(r.transactions[0]).toMatchObject({
      location: { locator: 'statement 1, :61: #1', line: 5 },
      counterpartyAccount: 'GB29NWBK60161331926819',
      reference: 'E2E-OSH-117',
      description: 'Consulting fee invoice 2026-117',
      problems: [],
    });
  });

  it('reads the German ?32/?33 name, ?31 IBAN and SEPA purpose subfields', async () => {
    const r = await parseFixture('statement.mt940.txt');
    expect(r.transactions[3]).toMatchObject({
      location: { locator: 'statement 2, :61: #1', line: 19 },
      counterparty: 'Blue Dune Trading FZE',
      counterpartyAccount: 'DE44500105175407324931',
      reference: 'INV-2026-99',
      description: 'Rechnung 99 Beratung Dezember',
    });
    expect(r.transactions[3]?.raw).toMatchObject({ ':86:?32': 'Blue Dune Tr', ':86:?33': 'ading FZE' });
  });

  it('keeps a free-text :86: as the description and does not guess a counterparty', async () => {
    const r = await parseFixture('statement.mt940.txt');
    expect(r.transactions[2]).toMatchObject({ description: 'Kontofuehrungsgebuehr November', counterparty: null, problems: ['no counterparty in :86:'] });
  });

  it('dates a booking across the year end into the next year', async () => {
    const r = await parseFixture('statement.mt940.txt');
    expect(r.transactions[4]?.date).toBe('2027-01-02');
  });

  it('skips a bank header before the first :20: and reads a .sta delivered as octet-stream', async () => {
    const text = '0000 01INGBNL2AXXXX00001\n940\n:20:ING\n:25:NL20INGB0001234567\n:28C:1\n:60F:C261102EUR100,00\n:61:261103D50,00NTRFNONREF\n:86:/CNTP/GB29NWBK60161331926819/NWBKGB2L/Orion Shell Holdings Ltd/LONDON/REMI/USTD//inv 7/\n:62F:C261103EUR50,00\n-\n';
    const r = await parseEvidenceItem(attachment('ing.sta', text, 'application/octet-stream'));
    expect(r.notes).toContain('2 header lines before the first :20: ignored');
    expect(r.transactions[0]).toMatchObject({ counterparty: 'Orion Shell Holdings Ltd', counterpartyAccount: 'GB29NWBK60161331926819', description: 'inv 7', location: { line: 7 } });
  });

  it('is unreadable with the parser message and the tags seen when the file is malformed', async () => {
    const r = await parseFixture('malformed.mt940.txt');
    expect(r.transactions).toEqual([]);
    expect(r.unreadable?.reason).toBe('MT940 could not be parsed: Cannot parse tag 61: 26XX03D620000,00NTRF');
    expect(r.unreadable?.fieldsSeen).toEqual([':20:', ':25:', ':28C:', ':60F:', ':61:', ':86:', ':62F:']);
  });
});
