/**
 * The `injection` detector: attempts to smuggle code or instructions through a tool argument or result.
 *
 * Each kind is a small set of fixed, case-insensitive patterns that need a *combination* of signals (a quote that
 * breaks out and a tautology; a chaining operator and a download; a traversal segment), never a single common word.
 *
 * | kind             | what matches |
 * |------------------|--------------|
 * | `sql`            | quote-breakout tautologies (`' OR '1'='1`, `" OR ""="`, `') OR ('a'='a`), `OR 1=1`, a quote then a comment at the end (`admin'--`), `'; --`, `UNION [ALL] SELECT`, stacked statements after `;` (`DROP TABLE`, `TRUNCATE TABLE`, `ALTER TABLE`, `DELETE FROM x;`, `INSERT INTO x VALUES`, `UPDATE x SET a=`, `SELECT … FROM`, `EXEC xp_…`, `SHUTDOWN`, `WAITFOR DELAY`), time-based blind (`' AND SLEEP(5)`), `xp_cmdshell`, `INTO OUTFILE`, `LOAD_FILE(` |
 * | `shell`          | `rm -rf` on `/`, `~`, `*`, `.`, `$HOME` or a top-level system directory; `--no-preserve-root`; `curl`/`wget`/`base64 -d` piped into a shell; `;`/`&&`/`\|\|`/`\|` followed by `curl`/`wget`, `bash -i`/`sh -c`, `python -c`, `perl -e`, `nc -e`, `chmod +x`, `rm -rf`; `$(cmd …)` with a command name; backticks around `whoami`/`id`/`uname`/`hostname`, or around a download/shell command right after `;=\|&(`; `${IFS}`; `/dev/tcp/`; `bash -i >&`; `nc -e /bin/sh`; `mkfifo … nc`; `powershell -enc`; `cmd /c`; `\| iex`; `Invoke-Expression`; `DownloadString(` |
 * | `path_traversal` | any `../` or `..\` path segment (a `..` not preceded by a word character or dot), URL-encoded / double-encoded / overlong-UTF-8 variants (`%2e%2e%2f`, `..%2f`, `%252e%252e%255c`, `..%c0%af`), and sensitive absolute paths (`/etc/passwd`, `/etc/shadow`, `/etc/sudoers`, `/proc/self/environ`, `~/.ssh`, `/…/.ssh/`, `~/.aws/credentials`, `/var/run/secrets/`, `C:\Windows\System32`, `win.ini`, `boot.ini`) |
 * | `xss`            | `<script`, `<iframe` (also closing tags and `%3Cscript`), `<frame`/`<object`/`<embed`/`<applet` with a `src`/`data`/`code` attribute, `javascript:`/`vbscript:` URLs (not `JavaScript: ` followed by a space), `data:text/html`, event handler attributes (`onerror=`, `onload=`, `onclick=`, …), `<meta http-equiv=refresh`, `<base href`, `srcdoc=` |
 * | `prompt`         | "ignore/disregard/forget/override (all) previous/prior/above/system instructions/prompt/rules…" (not "my previous instructions"), "ignore/disregard (everything) above … and say/print/…", "forget everything you were told", "you are now DAN", "you are (now) in developer/god/jailbreak mode", "pretend you have no restrictions", "reveal/show/print your system prompt", "new instructions:", chat-template control tokens (`<\|im_start\|>`, `[INST]`, `<<SYS>>`) |
 *
 * Deliberate choices (precision over recall): "Please select the blue shirt", "I dropped my phone", "; delete from
 * my account", "JavaScript: the good parts", "enable developer mode on my phone", "please disregard the above
 * email" and "ignore my previous instructions" do not match; a single `../` *does* (a relative path that climbs
 * out of its directory is what path traversal is, wherever it appears, including prose such as "see ../README").
 *
 * @module
 */
import type { Matcher } from './types.js';
import { MARK, lettersOf, marksOf, mayHoldWord, wordLetters } from './charset.js';
import { regexMatcher } from './util.js';

/** Compiles one of our fixed patterns (global, case-insensitive unless told otherwise). */
function re(source: string, flags = 'gi'): RegExp {
  return new RegExp(source, flags);
}

const S = '\\s{1,10}'; // required whitespace (bounded)
const O = '\\s{0,10}'; // optional whitespace (bounded)
const W = '(?:\\s|/\\*[^*]{0,40}\\*/){1,20}'; // SQL whitespace: blanks or inline comments, one per repetition

// ---------------------------------------------------------------------------------------------------------------------
// sql

const SQL: RegExp[] = [
  // quote breakout + tautology with equal operands: ' OR '1'='1   " OR ""="   ') OR ('a'='a   ' OR 1=1--   ' AND 'x'='x
  re(
    `['"\`](?:${O}\\))?${O}(?:OR|AND|\\|\\|)(?:${S}|(?=['"(]))(?:\\(${O})?` +
      `(?:(['"])(\\w{0,20})\\1${O}=${O}\\1\\2|(\\w{1,20})${O}=${O}\\3)(?![\\w.])`,
  ),
  // numeric tautology without a quote: 1 OR 1=1
  re(`\\bOR${S}(\\d{1,10})${O}=${O}\\1(?![\\w.])`),
  // quote breakout + OR TRUE, then a terminator
  re(`['"](?:${O}\\))?${O}OR${S}(?:TRUE|NOT${S}FALSE)${O}(?:--|#|/\\*|;|$)`),
  // a quote then a comment that swallows the rest of the query, at the end of the value: admin'--   admin' #
  re(`(?<=\\w)['"](?:${O}\\))?${O}(?:--|#|/\\*)\\s{0,5}-?\\s{0,5}$`),
  // quote, statement end, comment: '; --
  re(`['"](?:${O}\\))?${O};${O}(?:--|#|/\\*)`),
  // UNION [ALL|DISTINCT] SELECT <column list>, with whitespace or inline comments between
  re(
    `\\bUNION${W}(?:(?:ALL|DISTINCT)${W})?SELECT${W}` +
      `(?:\\*|null\\b|\\d|@@|['"]|0x|(?:char|concat|group_concat|version|user|database|load_file)${O}\\(|[\\w.]{1,64}${O}(?:,|${W}FROM\\b))`,
  ),
  // stacked statements after ';'
  re(
    `;${O}(?:DROP${S}(?:TABLE|DATABASE|SCHEMA|VIEW|USER)\\b|TRUNCATE${S}TABLE\\b|ALTER${S}(?:TABLE|USER|DATABASE)\\b` +
      `|SHUTDOWN\\b|EXEC(?:UTE)?${S}(?:xp|sp)_\\w|WAITFOR${S}DELAY\\b` +
      `|(?:DELETE${S}FROM|INSERT${S}INTO)${S}[\\w.\`"\\[\\]]{1,64}${O}(?:;|--|#|/\\*|$|WHERE\\b|VALUES\\b|\\()` +
      `|UPDATE${S}[\\w.\`"\\[\\]]{1,64}${S}SET${S}[\\w.\`"\\[\\]]{1,64}${O}=` +
      `|SELECT${S}(?:\\*|@@\\w{1,30}|[\\w.]{1,64}(?:${O},${O}[\\w.]{1,64}){1,20})${S}FROM\\b` +
      `|SELECT${S}[\\w.]{1,64}${S}FROM${S}[\\w.\`"\\[\\]]{1,64}${O}(?:;|--|#|/\\*|$|WHERE\\b)` +
      `)`,
  ),
  // time-based blind injection after a quote/paren or OR/AND
  re(`(?:['")]|\\b(?:OR|AND))${O}(?:SLEEP|pg_sleep|BENCHMARK)\\(${O}\\d`),
  re(`\\bWAITFOR${S}DELAY${S}'`),
  // dangerous built-ins
  re(`\\bxp_cmdshell\\b|\\bINTO${S}(?:OUT|DUMP)FILE\\b|\\bLOAD_FILE${O}\\(`),
];

// ---------------------------------------------------------------------------------------------------------------------
// shell

const SHELL_CMD = '(?:curl|wget|nc|ncat|netcat|bash|sh|zsh|python[23]?|perl|ruby|php|cat|id|whoami|uname|hostname|rm|chmod|echo|base64|env|printenv|ls|nslookup|dig|ping|sleep|touch)';
const SHELL: RegExp[] = [
  // rm with flags on a catastrophic target
  re(
    `\\brm${S}(?:-[A-Za-z-]{1,30}${S}){1,5}(?:/|/\\*|~/?\\*?|\\*|\\$HOME/?\\*?|\\.{1,2}/?\\*?` +
      `|/(?:bin|boot|dev|etc|home|lib|lib64|opt|proc|root|sbin|srv|sys|usr|var)/?\\*?)(?=$|[\\s;&|)\`'"])`,
  ),
  re(`--no-preserve-root\\b`),
  // download (or decode) piped into a shell or interpreter
  re(`\\b(?:curl|wget)\\b[^\\n|;&]{0,300}\\|${O}(?:sudo${S})?(?:(?:ba|z|da|k|c|tc|fi)?sh|python[23]?|perl|ruby|php)\\b`),
  re(`\\bbase64${S}(?:-d|--decode|-D)\\b[^\\n|;&]{0,100}\\|${O}(?:sudo${S})?(?:ba|z|da|k)?sh\\b`),
  // chaining operator followed by a download or an interpreter running inline code
  re(
    `(?:;|&&|\\|\\||\\|)${O}(?:sudo${S})?(?:(?:curl|wget)(?=${S}\\S)` +
      `|(?:ba|z|da)?sh${S}-[a-z]{0,3}[ic]\\b|python[23]?${S}-c\\b|perl${S}-e\\b|ruby${S}-e\\b|php${S}-r\\b` +
      `|(?:nc|ncat|netcat)${S}(?:-[a-zA-Z]{1,5}${S}){0,4}(?:-[a-zA-Z]{0,4}e\\b|\\d{1,3}\\.\\d{1,3}\\.)` +
      `|chmod${S}(?:\\+x|[0-7]{3,4})${S}|rm${S}-[a-zA-Z]{0,5}[rRf])`,
  ),
  // command substitution with a command name: $(curl …)  $(cat /etc/passwd)
  re(`\\$\\(${O}${SHELL_CMD}\\b[^)\\n]{0,200}\\)`),
  // ${IFS} whitespace smuggling
  re(`\\$\\{IFS\\}`),
  // backticks: reconnaissance commands anywhere; downloads/shells only in a shell-ish position
  re(`\`${O}(?:whoami|id|uname(?:${S}-[a-z]{1,5})?|hostname)${O}\``),
  re(`[;=|&(]${O}\`${O}(?:curl|wget|nc|ncat|bash|sh|python[23]?|perl|cat|rm)\\b[^\`\\n]{0,200}\``),
  // reverse shells
  re(`/dev/(?:tcp|udp)/`),
  re(`\\bbash${S}-i${O}>&`),
  re(`\\b(?:nc|ncat|netcat)${S}(?:-[a-zA-Z]{1,5}${S}){0,4}-[a-zA-Z]{0,4}e${S}/bin/(?:ba)?sh\\b`),
  re(`\\bmkfifo\\s[^\\n]{0,100}\\b(?:nc|ncat|netcat)\\b`),
  // Windows
  re(`\\b(?:powershell|pwsh)(?:\\.exe)?\\s[^\\n]{0,100}?-(?:e|en|enc|encodedcommand)${S}[A-Za-z0-9+/=]{16}`),
  re(`\\bcmd(?:\\.exe)?${S}/[ck]${S}\\S`),
  re(`\\|${O}(?:iex|Invoke-Expression)\\b|\\bInvoke-Expression\\b|\\.DownloadString${O}\\(`),
];

// ---------------------------------------------------------------------------------------------------------------------
// path_traversal

const PATH: RegExp[] = [
  // literal traversal segments and the path that follows them
  re(`(?<![\\w.])\\.\\.[\\\\/](?:\\.\\.[\\\\/]){0,63}[^\\s'"<>|;&,()\`]{0,256}`, 'g'),
  // encoded variants: at least one encoded character among "..", and an (encoded) separator
  re(
    `(?:\\.\\.|%(?:25)?2e\\.|\\.%(?:25)?2e|%(?:25)?2e%(?:25)?2e|%c0%ae%c0%ae|%e0%80%ae%e0%80%ae)` +
      `(?:%(?:25)?(?:2f|5c)|%c0%af|%c1%9c|%e0%80%af|(?<!\\.\\.)[\\\\/])`,
  ),
  // sensitive absolute locations
  re(
    `(?:/etc/(?:passwd|shadow|gshadow|sudoers|master\\.passwd)\\b|/proc/self/(?:environ|cmdline|maps|mem|fd\\b)` +
      `|~/\\.ssh\\b|/\\.ssh/|~/\\.aws/credentials\\b|/\\.aws/credentials\\b|/var/run/secrets/` +
      `|\\b[a-z]:[\\\\/]{1,2}windows[\\\\/]{1,2}(?:system32|win\\.ini|system\\.ini|repair)\\b` +
      `|[\\\\/]windows[\\\\/]{1,2}(?:system32|win\\.ini|system\\.ini)\\b|\\bboot\\.ini\\b)[^\\s'"<>|;&,()\`]{0,256}`,
  ),
];

// ---------------------------------------------------------------------------------------------------------------------
// xss

const EVENTS =
  'error|load|click|dblclick|auxclick|contextmenu|mouse(?:over|out|enter|leave|down|up|move)|focus(?:in|out)?|blur' +
  '|change|submit|reset|key(?:down|up|press)|input|invalid|toggle|begin|end|scroll|resize|unload|beforeunload' +
  '|page(?:show|hide)|hashchange|popstate|message|copy|cut|paste|drag(?:start|end|enter|leave|over)?|drop|play(?:ing)?' +
  '|pause|ended|start|finish|animation(?:start|end|iteration)|transition(?:start|end|run|cancel)' +
  '|pointer(?:over|out|down|up|enter|leave|move)|touch(?:start|end|move)|wheel|select|search|show' +
  '|loadstart|loadeddata|canplay|durationchange|volumechange|timeupdate|afterprint|beforeprint|readystatechange';

const XSS: RegExp[] = [
  re(`<${O}/?${O}(?:script|iframe)(?=[\\s>/])|%3c${O}(?:%2f)?(?:script|iframe)\\b`),
  re(`<(?:frame|object|embed|applet)\\s[^<>]{0,200}?\\b(?:src|data|code)${O}=`),
  re(`(?<![\\w-])(?:java|vb)script:(?!\\s)|(?<![\\w-])j${O}a${O}v${O}a${O}s${O}c${O}r${O}i${O}p${O}t${O}:(?=${O}[\\w(])(?!\\s)`),
  re(`(?<![\\w-])data:text/html\\b`),
  re(`(?<![\\w.$-])on(?:${EVENTS})${O}=`),
  re(`<meta\\b[^>]{0,200}http-equiv${O}=${O}['"]?refresh|<base${S}href${O}=|(?<![\\w-])srcdoc${O}=`),
];

// ---------------------------------------------------------------------------------------------------------------------
// prompt

const VERB = '(?:ignore|disregard|forget|override|overrule|bypass)';
const FILLER = `(?:(?:all|any|every|each|of|the|your|these|those|its|their)${S}){0,4}`;
const ADJ = '(?:previous|prior|above|earlier|preceding|foregoing|former|original|initial|system|safety|hidden|developer)';
const NOUN =
  '(?:instructions?|prompts?|directions?|directives?|rules|guidelines|guardrails|commands?|programming|constraints|restrictions)';
const FOLLOWUP =
  `[\\s,.;:!-]{0,5}(?:(?:and|then|now|instead|just|only)${S}){0,3}` +
  `(?:say|print|output|respond|reply|write|tell|act|pretend|repeat|reveal|return|answer|translate|show|give|list|you${S}(?:are|will|must|should))\\b`;

const PROMPT: RegExp[] = [
  // ignore all previous instructions / override the system prompt / disregard prior directives
  re(`\\b${VERB}${S}${FILLER}${ADJ}(?:${S}|-)${NOUN}\\b`),
  // ignore (everything) (written) above … and say …
  re(
    `\\b${VERB}${S}(?:(?:all|everything|anything|of|the|that|what|was|is|written|said|stated|text|message)${S}){0,5}` +
      `(?:above|before|previously|so${S}far)\\b${FOLLOWUP}`,
  ),
  // forget everything you were told / ignore all you have been instructed
  re(`\\b${VERB}${S}(?:all|everything|anything)${S}(?:that${S})?you(?:'ve|${S}have|${S}were|${S}had)${S}(?:been${S})?(?:told|taught|instructed|programmed|given)\\b`),
  // you are now DAN (case-sensitive name), Do Anything Now
  re(`\\b[Yy][Oo][Uu]${S}[Aa][Rr][Ee]${S}(?:[Nn][Oo][Ww]${S})?(?:DAN|STAN|DUDE)\\b|\\bDAN${S}[Mm]ode\\b|\\bDo${S}Anything${S}Now\\b|\\bDO${S}ANYTHING${S}NOW\\b`, 'g'),
  // you are (now) in developer/god/jailbreak mode; you are now unrestricted; jailbroken assistants
  re(
    `\\byou${S}are${S}(?:now${S})?(?:in|running${S}in|operating${S}in)${S}(?:developer|dev|god|jailbreak|jailbroken|DAN|unrestricted|debug|sudo)${S}mode\\b` +
      `|\\byou${S}are${S}now${S}(?:an?${S})?(?:unrestricted|unfiltered|uncensored|jailbroken)\\b` +
      `|\\byou${S}are${S}(?:now${S})?(?:free${S}(?:from|of)|no${S}longer${S}bound${S}by)${S}(?:all${S}|any${S}|your${S}|the${S}){0,2}(?:restrictions|rules|guidelines|constraints|filters|policies)\\b` +
      `|\\b(?:ChatGPT|AI|assistant|model|LLM|GPT|Claude)${S}(?:with|in)${S}(?:developer|god|jailbreak|DAN)${S}mode\\b` +
      `|\\b(?:enable|activate|enter)${S}(?:jailbreak|god|DAN)${S}mode\\b`,
  ),
  // pretend you have no restrictions
  re(
    `\\b(?:pretend|act${S}as${S}if|imagine)${S}(?:that${S})?you${S}(?:have|had|are|were)${S}` +
      `(?:no${S}(?:restrictions|rules|guidelines|filters|limits|limitations|constraints|guardrails)|not${S}bound${S}by|(?:an?${S})?(?:unrestricted|unfiltered|uncensored|jailbroken))\\b`,
  ),
  // reveal your system prompt
  re(
    `\\b(?:reveal|show|print|output|display|repeat|leak|dump|expose|disclose|give|tell|share|recite|write${S}out|spell${S}out|what(?:'s|${S}is|${S}are|${S}was|${S}were))` +
      `${S}(?:me${S}|us${S})?(?:(?:your|the|all|of|full|entire|exact|complete|verbatim|whole)${S}){0,4}` +
      `(?:system${S}prompt|(?:system|hidden|secret|developer)${S}instructions|(?:(?:initial|original|hidden|secret|developer)${S}|pre-?)prompt|(?:prompt|instructions)${S}above)\\b`,
  ),
  // new instructions:
  re(`\\bnew${S}(?:system${S})?instructions?${O}:`),
  // chat-template control tokens
  re(`<\\|(?:im_start|im_end|system|user|assistant|endoftext|begin_of_text|start_header_id|end_header_id|eot_id)\\|>|\\[/?INST\\]|<</?SYS>>`),
];

// ---------------------------------------------------------------------------------------------------------------------
// prefilters
//
// A cheap necessary condition per kind, tested before its patterns: every pattern of the kind needs one of these
// marks or (case-insensitive) words, read off the patterns above, so a text without any of them cannot match.
// First the marks and the words' letters, from one scan of the text shared by the five kinds (charset.ts); then,
// for the kinds with words, the words themselves. Most argument values (ids, names, amounts written as text)
// stop at the scan, before any regular expression. The differential test in test/detectors/prefilter.test.ts
// checks each kind against its patterns alone.

const words = (...ws: string[]): number[] => ws.map(wordLetters);

/** sql: a quote or backtick, `;`, `=` or `(` (every pattern but three), or UNION, INTO, xp_cmdshell (those three). */
const SQL_MARKS = MARK.squote | MARK.dquote | MARK.backtick | MARK.semicolon | MARK.equals | MARK.lparen;
const SQL_WORDS = words('union', 'into', 'xp_cmdshell');
const SQL_PRE = /['"`;=(]|union|into|xp_cmdshell/i;
/** shell: `| ; & $` backtick `/`, mkfifo, DownloadString; or a `-` and the command its pattern names. */
const SHELL_MARKS = MARK.pipe | MARK.semicolon | MARK.amp | MARK.dollar | MARK.backtick | MARK.slash;
const SHELL_WORDS = words('mkfifo', 'downloadstring');
const SHELL_DASH_WORDS = words('rm', 'preserve-root', 'base64', 'bash', 'pwsh', 'powershell', 'invoke-expression');
const SHELL_PRE = /[|;&$`/]|mkfifo|downloadstring/i;
const SHELL_DASH = /rm|preserve-root|base64|bash|pwsh|powershell|invoke-expression/i;
/** path_traversal: `.` (`..`, `boot.ini`), `%` (encodings), `/` or `\` (paths), `~` (home). */
const PATH_MARKS = MARK.dot | MARK.percent | MARK.slash | MARK.backslash | MARK.tilde;
/** xss: `<` (tags), `%` (`%3c`), `:` (script and data URLs), `=` (event handler and srcdoc attributes). */
const XSS_MARKS = MARK.lt | MARK.percent | MARK.colon | MARK.equals;
/** prompt: one of the words every phrasing needs, or `<` / `[` (chat-template tokens). */
const PROMPT_MARKS = MARK.lt | MARK.lbracket;
const PROMPT_WORDS = words('ignore', 'disregard', 'forget', 'overr', 'bypass', 'you', 'mode', 'anything', 'prompt', 'instruction');
const PROMPT_PRE = /ignore|disregard|forget|overr|bypass|you|mode|anything|prompt|instruction|[<[]/i;

function sqlMay(t: string): boolean {
  return ((marksOf(t) & SQL_MARKS) !== 0 || mayHoldWord(lettersOf(t), SQL_WORDS)) && SQL_PRE.test(t);
}

function shellMay(t: string): boolean {
  const marks = marksOf(t);
  const letters = lettersOf(t);
  const dash = (marks & MARK.dash) !== 0 && mayHoldWord(letters, SHELL_DASH_WORDS);
  if ((marks & SHELL_MARKS) === 0 && !mayHoldWord(letters, SHELL_WORDS) && !dash) return false;
  return SHELL_PRE.test(t) || (dash && SHELL_DASH.test(t));
}

function promptMay(t: string): boolean {
  return ((marksOf(t) & PROMPT_MARKS) !== 0 || mayHoldWord(lettersOf(t), PROMPT_WORDS)) && PROMPT_PRE.test(t);
}

/** The patterns of each kind, without prefilters: for tests. Internal. */
export const INJECTION_PATTERNS: Readonly<Record<string, readonly RegExp[]>> = { sql: SQL, shell: SHELL, path_traversal: PATH, xss: XSS, prompt: PROMPT };

/** The `injection` matchers by kind, in {@link DETECTOR_KINDS} order. Internal. */
export const INJECTION_MATCHERS: Readonly<Record<string, Matcher>> = {
  sql: regexMatcher('injection', 'sql', SQL, undefined, sqlMay),
  shell: regexMatcher('injection', 'shell', SHELL, undefined, shellMay),
  path_traversal: regexMatcher('injection', 'path_traversal', PATH, undefined, (t) => (marksOf(t) & PATH_MARKS) !== 0),
  xss: regexMatcher('injection', 'xss', XSS, undefined, (t) => (marksOf(t) & XSS_MARKS) !== 0),
  prompt: regexMatcher('injection', 'prompt', PROMPT, undefined, promptMay),
};
