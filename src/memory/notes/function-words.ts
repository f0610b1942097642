/**
 * Words that carry no topic in the languages other than English that people talk to Cairn in
 * most (German, Portuguese, Spanish, French, Turkish, Arabic): articles, pronouns, prepositions,
 * auxiliaries, and the words of asking what Cairn remembers. English ones were dropped from a
 * query and theirs were searched: "Was habe ich dir über die Datenbank gesagt?" looked for
 * "habe", "ich" and "gesagt", which notes written in the third person hold only now and then and
 * BM25 therefore weighs heavily, so a note that happened to hold three of them outranked the one
 * about the database, which was not recalled at all.
 *
 * Short lists of the commonest words, not a full stopword corpus: a word that is also an English
 * topic word (German "war", "hat", "bin", "mit", "man", "dir"; Portuguese "os"; Turkish "ben",
 * "su"; French "est", "son", "mon"; Spanish "sin", "con", and "al", a name) is left out, so "the war room" or "which
 * OS" keep their word. Written as people type them; query.ts folds them as it folds a query
 * (über as uber, não as nao, ماذا as the index holds it).
 */
export const OTHER_LANGUAGES_FUNCTION_WORDS = [
  // German
  'aber alle als also auch auf aus bei bist bitte da dann das dass daß dein deine deinem deinen dem den der des dich die doch du ' +
    'ein eine einem einen einer eines er es etwas euch für gesagt erzählt erwähnt erinnerst erinnern weißt weiss habe haben hast ' +
    'hatte hätte hallo ich ihm ihn ihnen ihr ihre im ist ja jetzt kann kannst kein keine mehr mein meine meinem meinen meiner mich ' +
    'mir muss nach nicht noch nur oder schon sein seine sich sie sind über und uns unser vom von vor waren was weil wenn wer wie ' +
    'wir wird wo zu zum zur danke',
  // Portuguese
  'o e ao aos às com como da das de disse dos ela elas ele eles em essa esse esta este eu falei foi há isso isto já lembra lembro ' +
    'lhe mais mas me meu minha muito na nas não nem nos nós obrigado obrigada oi olá para pela pelo por qual quando que quem sem ' +
    'seu sua são sobre também te tem tu um uma você vocês',
  // Spanish
  'y del el ella ellos es esta este esto fue gracias hola las los mis muy nosotros pero qué recuerdas recuerdo dije sus tiene ' +
    'tus una usted yo',
  // French
  'au aux avec ce ces cette dans des dit du elle il ils je les leur ma mes moi nous pour qu quoi sa ses souviens sur ta tes toi ' +
    'vous votre vos bonjour merci',
  // Turkish
  'acaba ama ancak bana beni benim bir biz bu bunu bunun daha diye gibi hakkında hatırlıyor hatırlıyorsun hatırlıyor musun ' +
    'hatırlamıyorum hem her için ile ise ki merhaba mi mı mu mü ne neden nasıl olan olarak onu sana seni sen siz söyledim ' +
    'söylemiştim dedim demiştim teşekkürler ve veya ya yani çok hiç',
  // Arabic
  'في من على إلى عن ما ماذا هل أن إن هذا هذه ذلك التي الذي كان كانت مع لا لم لن هو هي أنا أنت نحن هم لي لك كل قد ثم أو كيف متى ' +
    'أين لماذا قلت قلتُ تتذكر أتذكر مرحبا شكرا',
].join(' ');
