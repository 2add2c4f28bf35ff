// The reference-order attention's steps for one vector width, written once:
// engine/attention_reference_order.cpp includes this file once per instruction set, inside a namespace and a
// `#pragma GCC target` region of its own, after defining there `V`, the operations on one vector of V::kW
// floats (rows of a group, or value dimensions). No include guard, by design. The order of float operations
// is the header's (engine/attention_reference_order.h); each value is computed alone, so the width changes no
// bits.
//
// Rows go through the three steps one group of V::kW at a time (the group's scores, V::kW floats a slot,
// stay in cache between them), each group only as far as the 8-slot group of its last row's last key.
// The slots past it are masked for all its rows: the reference's weights there are exactly 0, whose
// exponentials add 0.0 to the sums and whose FMAs leave the P·V chains unchanged.

// (b0+b4 + b1+b5) + (b2+b6 + b3+b7): the lane tree of a 4-accumulator dot.
inline V::F tree_dot(const V::F* b) {
  return V::add(V::add(V::add(b[0], b[4]), V::add(b[1], b[5])),
                V::add(V::add(b[2], b[6]), V::add(b[3], b[7])));
}

// (a0+a4 + a2+a6) + (a1+a5 + a3+a7): the softmax's and the 8-lane P·V's sum of eight lanes.
inline V::F tree_halves(const V::F* a) {
  return V::add(V::add(V::add(a[0], a[4]), V::add(a[2], a[6])),
                V::add(V::add(a[1], a[5]), V::add(a[3], a[7])));
}

// Lane t of the 4-accumulator dot of kK keys against a group of rows (qg: [d][kW]), its four
// accumulators added as (0+2) + (1+3). Each query vector loaded serves kK FMAs. kSteps is d / 32 where it
// is known at compile time (every step unrolled, the accumulators held in registers), else -1.
// The accumulators are summed as soon as both of a pair exist (V::keep), so at most three per key are
// live: with the sums left to the compiler, GCC 12 computed every product of the score first and kept
// them on the stack, a store and a reload per product on top of the broadcast and query loads.
template <int kSteps, int kK>
inline void score_lane(const float* const* k, const float* qg, int64_t np, int t, V::F (&c)[kK]) {
  if constexpr (kSteps >= 0) np = 32 * kSteps;
  const auto chain = [&](int a, V::F(&acc)[kK]) {
    for (int j = 0; j < kK; ++j) acc[j] = V::zero();
#pragma GCC unroll 8
    for (int64_t x = 8 * a + t; x < np; x += 32) {
      const V::F q = V::load(qg + x * V::kW);
      for (int j = 0; j < kK; ++j) acc[j] = V::fma(V::set1(k[j][x]), q, acc[j]);
    }
  };
  V::F u[kK], v[kK], w[kK];
  chain(0, u);
  chain(2, w);
  for (int j = 0; j < kK; ++j) V::keep(u[j] = V::add(u[j], w[j]));
  chain(1, v);
  chain(3, w);
  for (int j = 0; j < kK; ++j) V::keep(c[j] = V::add(u[j], V::add(v[j], w[j])));
}

// Lanes t and t + 4, added: one of the four pairs of the lane tree.
template <int kSteps, int kK>
inline void score_pair(const float* const* k, const float* qg, int64_t np, int t, V::F (&p)[kK]) {
  V::F lo[kK], hi[kK];
  score_lane<kSteps, kK>(k, qg, np, t, lo);
  score_lane<kSteps, kK>(k, qg, np, t + 4, hi);
  for (int j = 0; j < kK; ++j) V::keep(p[j] = V::add(lo[j], hi[j]));
}

// The scores (unscaled) of kK keys against a group of rows: the lane tree, a pair of lanes at a time,
// then the head_dim % 32 tail, each product rounded alone.
template <int kSteps, int kK>
inline void score_block(const float* const* k, const float* qg, int64_t d, V::F (&out)[kK]) {
  const int64_t np = d / 32 * 32;
  V::F p0[kK], p1[kK];
  score_pair<kSteps, kK>(k, qg, np, 0, p0);
  score_pair<kSteps, kK>(k, qg, np, 1, p1);
  for (int j = 0; j < kK; ++j) V::keep(out[j] = V::add(p0[j], p1[j]));
  score_pair<kSteps, kK>(k, qg, np, 2, p0);
  score_pair<kSteps, kK>(k, qg, np, 3, p1);
  for (int j = 0; j < kK; ++j) out[j] = V::add(out[j], V::add(p0[j], p1[j]));
  for (int64_t x = np; x < d; ++x) {
    const V::F q = V::load(qg + x * V::kW);
    for (int j = 0; j < kK; ++j) out[j] = V::add(out[j], V::mul_alone(V::set1(k[j][x]), q));
  }
}

// Scores of row group g against slots [s0, s1), V::kScoreKeys at a time (s0 and s1 multiples of 8).
template <int kSteps>
void scores(const ReferenceOrderHead& h, int64_t g, int64_t s0, int64_t s1, Scratch& sc) {
  constexpr int kK = V::kScoreKeys;
  const V::F scale = V::set1(h.scale), neg_inf = V::set1(kNegInf);
  const float* qg = sc.qt.data() + g * V::kW * h.d;
  const V::I last = V::load_last(sc.last.data() + g * V::kW);
  for (int64_t s = s0; s < s1; s += kK) {
    const float* k[kK];
    int64_t j[kK];
    bool any = false;
    for (int i = 0; i < kK; ++i) {
      j[i] = sc.slots.key[static_cast<size_t>(s + i)];
      k[i] = j[i] < 0 ? sc.zero_row.data() : h.k + j[i] * h.ldk;
      any = any || j[i] >= 0;
    }
    if (!any) {
      for (int i = 0; i < kK; ++i) V::store(sc.at(s + i, g * V::kW), neg_inf);
      continue;
    }
    V::F w[kK];
    score_block<kSteps, kK>(k, qg, h.d, w);
    for (int i = 0; i < kK; ++i) {
      const V::F scaled = V::mul(w[i], scale);
      V::store(sc.at(s + i, g * V::kW),
               j[i] < 0 ? neg_inf : V::select(V::key_hidden(j[i], last), neg_inf, scaled));
    }
  }
}

// Row group g's scores to weights over slots [0, n_slots).
inline void softmax(int64_t g, int64_t n_slots, Scratch& sc) {
  const V::F neg_inf = V::set1(kNegInf), zero = V::zero();
  float* col = sc.at(0, g * V::kW);
  V::F mx = neg_inf;
  for (int64_t s = 0; s < n_slots; ++s) mx = V::max(mx, V::load(col + s * V::kW));
  // A row that sees no key keeps max -inf: shift by 0 so its weights come out 0, not NaN.
  mx = V::select(V::is_neg_inf(mx), zero, mx);
  V::Sums sums = V::sums_zero();
  for (int64_t s0 = 0; s0 < n_slots; s0 += 8) {
    V::F e[8];
    for (int t = 0; t < 8; ++t) {
      float* p = col + (s0 + t) * V::kW;
      const V::F x = V::load(p);
      e[t] = V::select(V::is_neg_inf(x), zero, V::exp(V::sub(x, mx)));
      V::store(p, e[t]);
    }
    V::add_sums(sums, tree_halves(e));
  }
  const V::F inv = V::inverse(sums);
  for (int64_t s = 0; s < n_slots; ++s) {
    float* p = col + s * V::kW;
    V::store(p, V::mul(V::load(p), inv));
  }
}

// P·V in lanes by KV index mod 8 (mod 32 for a one-token batch): one lane at a time (its FMA chains never
// meet the other lanes' until the end), so each lane's accumulators can be blocked over kRows rows ×
// kChunks vectors of value dimensions in registers: a slot's value vectors are loaded once for kRows rows
// and each weight broadcast once for kChunks vectors. A lane runs over slot t of each 8-slot group in
// `groups`. The lanes' sums wait in sc.lanes ([lane][kW rows][d]) and are added at the end in the
// reference's tree. (A form with value dimensions broadcast against a vector of rows needed a weight
// load per FMA and a transposed copy of the values, and measured about half as fast.)
template <int kChunks, int kRows>
void lane_block(const Scratch& sc, const float* pg, std::span<const int32_t> groups, int64_t t, int64_t r0,
                int64_t x0, float* dst, int64_t d) {
  V::F acc[kRows][kChunks];
  for (auto& row : acc)
    for (auto& a : row) a = V::zero();
  for (const int32_t group : groups) {
    const int64_t s = 8 * int64_t{group} + t;
    const float* v = sc.values(s) + x0;
    V::F vs[kChunks];
    for (int c = 0; c < kChunks; ++c) vs[c] = V::load(v + V::kW * c);
    const float* w = pg + s * V::kW + r0;
    for (int r = 0; r < kRows; ++r) {
      const V::F wr = V::set1(w[r]);
      for (int c = 0; c < kChunks; ++c) acc[r][c] = V::fma(vs[c], wr, acc[r][c]);
    }
  }
  for (int r = 0; r < kRows; ++r)
    for (int c = 0; c < kChunks; ++c) V::store(dst + (r0 + r) * d + x0 + V::kW * c, acc[r][c]);
}

// One lane's sums for the group's first n_rows rows and value dimensions [x0, x0 + kW·kChunks).
template <int kChunks>
void lane_rows(const Scratch& sc, const float* pg, std::span<const int32_t> groups, int64_t t, int64_t n_rows,
               int64_t x0, float* dst, int64_t d) {
  constexpr int kRows = std::min(V::kW, V::kPvAccumulators / kChunks);
  int64_t r0 = 0;
  for (; r0 + kRows <= V::kW && r0 < n_rows; r0 += kRows)
    lane_block<kChunks, kRows>(sc, pg, groups, t, r0, x0, dst, d);
  if constexpr (V::kW % kRows != 0)
    if (r0 < n_rows) lane_block<kChunks, V::kW % kRows>(sc, pg, groups, t, r0, x0, dst, d);
}

// The value dimensions left after the whole blocks of V::kPvChunks vectors: `chunks` vectors.
template <int kChunks>
void lane_rows_tail(const Scratch& sc, const float* pg, std::span<const int32_t> groups, int64_t t,
                    int64_t n_rows, int64_t x0, float* dst, int64_t d, int64_t chunks) {
  if constexpr (kChunks > 0) {
    if (chunks == kChunks) return lane_rows<kChunks>(sc, pg, groups, t, n_rows, x0, dst, d);
    lane_rows_tail<kChunks - 1>(sc, pg, groups, t, n_rows, x0, dst, d, chunks);
  }
}

// P·V's lanes in a one-token batch (32) or a wider one (8).
inline int64_t pv_lanes(const ReferenceOrderHead& h) {
  return h.single_token ? 32 : 8;
}

// Row group g's sums of lanes [lane0, lane1) over its first n_slots slots, into sc.lanes (sized for
// pv_lanes(h) lanes). Requires h.d % V::kW == 0.
inline void lane_sums(const ReferenceOrderHead& h, int64_t g, int64_t n_slots, Scratch& sc, int64_t lane0,
                      int64_t lane1) {
  constexpr int64_t kBlock = V::kW * V::kPvChunks;
  const int64_t d = h.d;
  const int64_t n_rows = std::min<int64_t>(V::kW, h.rows - g * V::kW);
  const float* pg = sc.at(0, g * V::kW);
  for (int64_t lane = lane0; lane < lane1; ++lane) {
    const std::span<const int32_t> groups =
        h.single_token ? std::span<const int32_t>(sc.quarter_groups[lane / 8])
                       : std::span<const int32_t>(sc.all_groups).first(static_cast<size_t>(n_slots / 8));
    float* dst = sc.lanes.data() + lane * V::kW * d;
    int64_t x0 = 0;
    for (; x0 + kBlock <= d; x0 += kBlock)
      lane_rows<V::kPvChunks>(sc, pg, groups, lane % 8, n_rows, x0, dst, d);
    lane_rows_tail<V::kPvChunks - 1>(sc, pg, groups, lane % 8, n_rows, x0, dst, d, (d - x0) / V::kW);
  }
}

// Row group g's outputs from its lanes' sums, in the reference's lane tree.
inline void tree_lanes(const ReferenceOrderHead& h, int64_t g, const Scratch& sc) {
  const int64_t d = h.d;
  const int64_t n_rows = std::min<int64_t>(V::kW, h.rows - g * V::kW);
  const auto lane_sum = [&](int64_t lane, int64_t r, int64_t x) {
    return V::load(sc.lanes.data() + (lane * V::kW + r) * d + x);
  };
  for (int64_t r = 0; r < n_rows; ++r)
    for (int64_t x = 0; x < d; x += V::kW) {
      V::F a[8];
      if (h.single_token) {  // lanes t, 8+t, 16+t, 24+t as a score's four accumulators, then its lane tree
        for (int t = 0; t < 8; ++t)
          a[t] = V::add(V::add(lane_sum(t, r, x), lane_sum(16 + t, r, x)),
                        V::add(lane_sum(8 + t, r, x), lane_sum(24 + t, r, x)));
        V::store(h.out[g * V::kW + r] + x, tree_dot(a));
      } else {
        for (int t = 0; t < 8; ++t) a[t] = lane_sum(t, r, x);
        V::store(h.out[g * V::kW + r] + x, tree_halves(a));
      }
    }
}

// Row group g's outputs over its first n_slots slots.
inline void weighted_values(const ReferenceOrderHead& h, int64_t g, int64_t n_slots, Scratch& sc) {
  sc.lanes.resize(static_cast<size_t>(pv_lanes(h) * V::kW * h.d));
  lane_sums(h, g, n_slots, sc, 0, pv_lanes(h));
  tree_lanes(h, g, sc);
}

// The slots row group g needs: every 8-slot group holding a key it may see.
inline int64_t group_slots(const Scratch& sc, int64_t g) {
  const int64_t last = sc.last[static_cast<size_t>((g + 1) * V::kW - 1)];
  int64_t n = sc.n_slots();
  while (n > 0 && sc.slots.first[static_cast<size_t>(n / 8 - 1)] > last) n -= 8;
  return n;
}

// Every row group through the three steps. A one-token batch's lanes (sc.quarter_groups) run over every
// slot: its rows share their last key anyway.
template <int kSteps>
void attention_groups(const ReferenceOrderHead& h, int64_t rows_w, Scratch& sc) {
  for (int64_t g = 0; g < rows_w / V::kW; ++g) {
    const int64_t n = h.single_token ? sc.n_slots() : group_slots(sc, g);
    scores<kSteps>(h, g, 0, n, sc);
    softmax(g, n, sc);
    weighted_values(h, g, n, sc);
  }
}

// The common head sizes (64, 128) unrolled.
template <class F>
inline void with_steps(int64_t d, const F& f) {
  switch (d / 32) {
    case 1:
      return f(std::integral_constant<int, 1>{});
    case 2:
      return f(std::integral_constant<int, 2>{});
    case 3:
      return f(std::integral_constant<int, 3>{});
    case 4:
      return f(std::integral_constant<int, 4>{});
    default:
      return f(std::integral_constant<int, -1>{});
  }
}

inline void attention(const ReferenceOrderHead& h, int64_t rows_w, Scratch& sc) {
  with_steps(h.d, [&](auto steps) { attention_groups<decltype(steps)::value>(h, rows_w, sc); });
}

// Row group 0's scores against slots [s0, s1) (a one-token batch's phases, attention_reference_order_decode).
inline void scores_range(const ReferenceOrderHead& h, int64_t s0, int64_t s1, Scratch& sc) {
  with_steps(h.d, [&](auto steps) { scores<decltype(steps)::value>(h, 0, s0, s1, sc); });
}
