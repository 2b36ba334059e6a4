// RFC 9162 golden vectors (transparency-dev/merkle testdata, copied under test/vectors/merkle) and the RFC 6962
// 8-leaf reference tree.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromBase64, fromHex, toHex } from '../../src/evidence/bytes.js';
import { emptyRoot, leafHash, nodeHash } from '../../src/evidence/hash.js';
import { consistencyProof, inclusionProof, rootFromEntries, rootFromLeafHashes } from '../../src/evidence/merkle.js';
import { MerkleTreeCache } from '../../src/evidence/merkle-cache.js';
import { verifyConsistency, verifyInclusion } from '../../src/evidence/merkle-verify.js';
import { VECTORS, jsonFiles } from './helpers.js';

interface InclusionCase {
  leafIdx: number;
  treeSize: number;
  root: string;
  leafHash: string;
  proof: string[] | null;
  desc: string;
  wantErr: boolean;
}
interface ConsistencyCase {
  size1: number;
  size2: number;
  root1: string;
  root2: string;
  proof: string[] | null;
  desc: string;
  wantErr: boolean;
}

const inclusionCases = jsonFiles<InclusionCase>(join(VECTORS, 'merkle', 'inclusion'));
const consistencyCases = jsonFiles<ConsistencyCase>(join(VECTORS, 'merkle', 'consistency'));

describe('RFC 9162 inclusion vectors', () => {
  it('covers every folder, including additional/ and single-entry/', () => {
    expect(inclusionCases.length).toBeGreaterThanOrEqual(80);
    expect(inclusionCases.some(([p]) => p.includes('single-entry'))).toBe(true);
    expect(inclusionCases.some(([p]) => p.includes('additional'))).toBe(true);
  });
  it.each(inclusionCases)('%s', (_path, c) => {
    const r = verifyInclusion(fromBase64(c.leafHash), c.leafIdx, c.treeSize, (c.proof ?? []).map(fromBase64), fromBase64(c.root));
    expect(r.ok).toBe(!c.wantErr);
  });
});

describe('RFC 9162 consistency vectors', () => {
  it('covers every folder, including additional/', () => {
    expect(consistencyCases.length).toBeGreaterThanOrEqual(90);
    expect(consistencyCases.some(([p]) => p.includes('additional'))).toBe(true);
  });
  it.each(consistencyCases)('%s', (_path, c) => {
    const r = verifyConsistency(c.size1, c.size2, (c.proof ?? []).map(fromBase64), fromBase64(c.root1), fromBase64(c.root2));
    expect(r.ok).toBe(!c.wantErr);
  });

  // The documented corner: size1 = 0 is always rejected (code 'empty-tree'), even with an empty proof and
  // equal roots. The vectors expect an error here; the C2SP draft would accept it.
  it('rejects size1 = 0 even with an empty proof (our documented rule)', () => {
    const e = emptyRoot();
    const zeroZero = verifyConsistency(0, 0, [], e, e);
    expect(zeroZero).toMatchObject({ ok: false, code: 'empty-tree' });
    const zeroOne = verifyConsistency(0, 1, [], e, leafHash(new Uint8Array()));
    expect(zeroOne).toMatchObject({ ok: false, code: 'empty-tree' });
    expect(() => consistencyProof(0, 5, [1, 2, 3, 4, 5].map((i) => leafHash(Uint8Array.of(i))))).toThrow(RangeError);
  });
});

// RFC 6962 reference tree: the test inputs of Certificate Transparency's reference tests. The root of all
// eight comes from the shared vectors README; prefix roots and proofs are those of the CT reference tests.
const REF_LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(fromHex);
const REF_ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

describe('RFC 6962 8-leaf reference tree', () => {
  const hashes = REF_LEAVES.map(leafHash);
  const tree = new MerkleTreeCache();
  hashes.forEach((h) => tree.append(h));

  it('has root 5dc9…4328 and the reference prefix roots', () => {
    expect(toHex(rootFromEntries(REF_LEAVES))).toBe('5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328');
    for (let n = 1; n <= 8; n++) {
      expect(toHex(rootFromLeafHashes(hashes.slice(0, n)))).toBe(REF_ROOTS[n - 1]);
      expect(toHex(tree.root(n))).toBe(REF_ROOTS[n - 1]);
    }
  });

  it('hashes the empty tree, a leaf and a node as RFC 9162 §2.1.1 says', () => {
    expect(toHex(rootFromLeafHashes([]))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(toHex(tree.root(0))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(toHex(leafHash(new Uint8Array()))).toBe(REF_ROOTS[0]);
    expect(toHex(nodeHash(hashes[0]!, hashes[1]!))).toBe(REF_ROOTS[1]);
  });

  it.each([
    [0, 8, ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4']],
    [5, 8, ['bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7']],
    [2, 3, ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125']],
    [1, 5, ['6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b']],
    [0, 1, []],
  ])('inclusion proof of leaf %i in size %i', (index, size, want) => {
    expect(inclusionProof(index, size, hashes).map(toHex)).toEqual(want);
    expect(tree.inclusionProof(index, size).map(toHex)).toEqual(want);
    expect(verifyInclusion(hashes[index]!, index, size, want.map(fromHex), fromHex(REF_ROOTS[size - 1]!)).ok).toBe(true);
  });

  it.each([
    [1, 1, []],
    [1, 8, ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4']],
    [6, 8, ['0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7']],
    [2, 5, ['5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b']],
  ])('consistency proof from %i to %i', (size1, size2, want) => {
    expect(consistencyProof(size1, size2, hashes).map(toHex)).toEqual(want);
    expect(tree.consistencyProof(size1, size2).map(toHex)).toEqual(want);
    const r = verifyConsistency(size1, size2, want.map(fromHex), fromHex(REF_ROOTS[size1 - 1]!), fromHex(REF_ROOTS[size2 - 1]!));
    expect(r.ok).toBe(true);
  });
});
