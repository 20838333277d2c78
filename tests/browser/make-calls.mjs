// Writes synthetic canonical JSON Lines calls for measuring the review report at scale
// (docs/REPORT.md, "Size and speed"): FLAGGED calls that the lexicon in
// tests/data/report/phrases.tsv flags, and PLAIN calls that it does not, spread over seven days,
// twelve queues, 120 agents and the fixture's languages, with card numbers, e-mail addresses and
// phone numbers in the text. Deterministic: the same arguments give the same file.
//
//   node tests/browser/make-calls.mjs OUT.jsonl [FLAGGED=10000] [PLAIN=20000] [TURNS=12]

import { createWriteStream } from 'node:fs';

const [out, flaggedArg, plainArg, turnsArg] = process.argv.slice(2);
if (!out) {
  console.error('usage: node make-calls.mjs OUT.jsonl [FLAGGED] [PLAIN] [TURNS]');
  process.exit(2);
}
const FLAGGED = Number(flaggedArg || 10000);
const PLAIN = Number(plainArg || 20000);
const TURNS = Number(turnsArg || 12);

// A small linear congruential generator, so runs are reproducible.
let seed = 20261123;
function random() {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
}
const pick = (list) => list[Math.floor(random() * list.length)];

// Per language: filler turns, cues that the fixture lexicon matches, and a PII sentence.
const LANGS = {
  en: {
    tag: 'en-US',
    agent: ['thanks for calling how can i help you today', 'let me pull up your account one moment', 'i can see the charge on your bill from last month', 'okay i have raised a ticket for the engineers'],
    customer: ['yeah so the internet keeps dropping in the evening', 'um i was charged twice for the same thing', 'right okay so what happens now', 'i just want it fixed to be honest'],
    cues: ['i called last week about this exact problem', 'this is the third time i am ringing', 'i want to speak to your manager', 'honestly this is ridiculous', 'the service has been terrible', 'i am going to cancel my account'],
    pii: () => `my card is 4111 1111 1111 1111 and email is jane.doe${Math.floor(random() * 1000)}@example.com`,
  },
  es: {
    tag: 'es-MX',
    agent: ['buenas tardes en qué le puedo ayudar', 'permítame un momento reviso su cuenta', 'ya levanté el reporte con el área técnica'],
    customer: ['mire el internet se me cae a cada rato', 'me cobraron dos veces el mismo mes', 'pues ya no sé qué hacer la verdad'],
    cues: ['ya llamé la semana pasada por lo mismo', 'quiero hablar con un supervisor', 'esto es una vergüenza'],
    pii: () => `mi teléfono es 612 34 56 ${String(10 + Math.floor(random() * 89))} y mi correo maría${Math.floor(random() * 100)}@correo.es`,
  },
  ja: {
    tag: 'ja-JP',
    agent: ['お電話ありがとうございます', '確認いたしますので少々お待ちください', '技術担当に申し送りいたします'],
    customer: ['ネットが夜になるとつながらないんです', '請求が二重になっているみたいで', 'いつ直るんですか'],
    cues: ['先週も電話したんですけど', '上司の方に代わってもらえますか', 'ほんとにひどい対応ですね'],
    pii: () => `電話番号は０９０－１２３４－５６７８です`,
  },
  zh: {
    tag: 'zh-CN',
    agent: ['您好请问有什么可以帮您', '我帮您查询一下请稍等', '已经为您提交了工单'],
    customer: ['网络晚上老是断', '这个月账单多扣了钱', '什么时候能修好'],
    cues: ['我上周已经打过电话了', '我要投诉', '太失望了'],
    pii: () => `我的手机号是138 0013 ${String(1000 + Math.floor(random() * 8999))}`,
  },
  ar: {
    tag: 'ar-EG',
    agent: ['أهلاً بحضرتك أقدر أساعدك إزاي', 'ثواني أراجع الحساب', 'عملت لحضرتك شكوى للدعم الفني'],
    customer: ['النت بيفصل كتير بالليل', 'الفاتورة جاية غلط الشهر ده', 'طب إمتى هيتصلح'],
    cues: ['أنا اتصلت قبل كده بنفس المشكلة', 'عايز أكلم المدير لو سمحت'],
    pii: () => `رقمي ٠١٠٠١٢٣٤٥٦٧`,
  },
  de: {
    tag: 'de-DE',
    agent: ['guten tag was kann ich für sie tun', 'einen moment ich schaue nach'],
    customer: ['das internet fällt abends immer aus', 'vielen dank das hat mir sehr geholfen'],
    cues: [],
    pii: () => 'meine nummer ist 0171 2345678',
  },
};
const QUEUES = ['billing', 'internet-support', 'retention', 'mobile', 'tv', 'moves', 'payments', 'outages', 'sales', 'business', 'collections', 'general'];
const LANG_KEYS = Object.keys(LANGS);
const FLAGGING = LANG_KEYS.filter((k) => LANGS[k].cues.length > 0);

function call(i, flagged) {
  const key = flagged ? pick(FLAGGING) : pick(LANG_KEYS);
  const lang = LANGS[key];
  const day = 1 + Math.floor(random() * 7);
  const secs = Math.floor(random() * 86400);
  const started = new Date(Date.UTC(2026, 10, day, 0, 0, secs)).toISOString().replace('.000Z', 'Z');
  const turns = [];
  let t = 0.5;
  // Cues go in customer turns (odd indices), one or two per flagged call.
  const customerTurn = () => 1 + 2 * Math.floor(random() * Math.floor((TURNS - 1) / 2));
  const cueAt = flagged ? new Set([customerTurn(), customerTurn()]) : new Set();
  const piiAt = 2 + Math.floor(random() * (TURNS - 3));
  for (let k = 0; k < TURNS; k++) {
    const speaker = k % 2 === 0 ? 'agent' : 'customer';
    let text;
    if (speaker === 'customer' && cueAt.has(k)) {
      text = `${pick(lang.customer)} ${pick(lang.cues)}`;
    } else if (speaker === 'customer' && k === piiAt) {
      text = lang.pii();
    } else if (speaker === 'customer') {
      text = pick(lang.customer);
    } else {
      text = pick(lang.agent);
    }
    const length = 2 + random() * 8;
    turns.push({ speaker, start_s: Math.round(t * 10) / 10, end_s: Math.round((t + length) * 10) / 10, text });
    t += length + 0.5;
  }
  return {
    call_id: `${flagged ? 'f' : 'p'}-${String(i).padStart(6, '0')}`,
    customer_id: `cust-${Math.floor(random() * 40000)}`,
    agent_id: `agt-${String(Math.floor(random() * 120)).padStart(3, '0')}`,
    queue: pick(QUEUES),
    channel: random() < 0.8 ? 'voice' : 'chat',
    language: lang.tag,
    started_at: started,
    duration_s: Math.round(t),
    turns,
  };
}

const stream = createWriteStream(out);
for (let i = 0; i < FLAGGED + PLAIN; i++) {
  const flagged = i < FLAGGED;
  stream.write(`${JSON.stringify(call(i, flagged))}\n`);
}
stream.end(() => console.log(`wrote ${FLAGGED} flagged and ${PLAIN} plain calls of ${TURNS} turns to ${out}`));
