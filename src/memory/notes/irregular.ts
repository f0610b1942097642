/**
 * Irregular English verb forms, which no stemmer joins: questions about memory ask
 * "where did she go", "what did he buy", while the remembered turn says "went",
 * "bought". A query term that is one of these forms also searches the others.
 */
const VERBS = `
arise arose arisen|awake awoke awoken|be was were been|beat beaten|become became|begin began begun|bend bent|
bet|bite bit bitten|bleed bled|blow blew blown|break broke broken|breed bred|bring brought|build built|burn burnt|
buy bought|catch caught|choose chose chosen|cling clung|come came|cost|creep crept|cut|deal dealt|dig dug|do did done|draw drew drawn|
dream dreamt|drink drank drunk|drive drove driven|eat ate eaten|fall fell fallen|feed fed|feel felt|fight fought|find found|flee fled|
fly flew flown|forbid forbade forbidden|forget forgot forgotten|forgive forgave forgiven|freeze froze frozen|get got gotten|
give gave given|go went gone|grow grew grown|hang hung|have had|hear heard|hide hid hidden|hit|hold held|hurt|
keep kept|kneel knelt|know knew known|lay laid|lead led|lean leant|leap leapt|learn learnt|leave left|lend lent|let|
light lit|lose lost|make made|mean meant|meet met|pay paid|put|quit|read|ride rode ridden|ring rang rung|run ran|
say said|see saw seen|seek sought|sell sold|send sent|set|shake shook shaken|shine shone|shoot shot|show shown|shrink shrank shrunk|
shut|sing sang sung|sink sank sunk|sit sat|sleep slept|slide slid|speak spoke spoken|speed sped|spend spent|spin spun|split|
spread|spring sprang sprung|stand stood|steal stole stolen|stick stuck|sting stung|stink stank stunk|strike struck|swear swore sworn|
sweep swept|swim swam swum|swing swung|take took taken|teach taught|tear tore torn|tell told|think thought|throw threw thrown|
understand understood|wake woke woken|wear wore worn|weep wept|win won|write wrote written|
child children|man men|woman women|mouse mice|foot feet|tooth teeth|person people|goose geese`;

const FORMS = new Map<string, readonly string[]>();
for (const group of VERBS.split('|')) {
  const forms = group.trim().split(/\s+/).filter(Boolean);
  if (forms.length < 2) continue;
  for (const form of forms) FORMS.set(form, [...new Set([...(FORMS.get(form) ?? []), ...forms])]);
}

/** The forms of an irregular word, itself first; just the word for any other. */
export function wordForms(word: string): readonly string[] {
  const forms = FORMS.get(word);
  return forms ? [word, ...forms.filter((form) => form !== word)] : [word];
}
