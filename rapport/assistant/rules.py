"""When a person must answer, whatever the articles say (German and English).

A question ABOUT a process ("How do I file a complaint?", "Wie verfolge ich meine
Bestellung?") is the help centre's to answer. A request that needs someone to look at one
case, or a threat, or a wish to speak to a person is not:

- ``specific_order``: it names one order (``NL-5528194``, "order 12345678", "Bestellung
  Nr. 4471902"): only an agent can look it up;
- ``complaint``: a complaint about one case (a case number such as ``VG-204311``, or a
  complaint together with an order number);
- ``legal``: a lawyer, court, lawsuit, police report or a demand for damages;
- ``asked_for_person``: "I want to talk to a human", "Mitarbeiter sprechen", "kein Bot";
- ``out_of_scope``: a matter for another department than customer service, which the help
  centre never covers: job applications and internships, press enquiries, sponsorships and
  advertising partnerships.

``judge(question)`` returns the first rule that applies (with the words that triggered it)
or None. Text is matched with umlauts spelt out ("ü" as "ue") and in lower case.
"""

import re
from dataclasses import dataclass

from rapport.search.text import fold


@dataclass(frozen=True)
class Verdict:
    reason: str  # one of engine.Reason's codes
    rule: str  # the rule's name, for agents
    phrase: str  # the words of the question that triggered it


def _re(pattern: str) -> re.Pattern:
    return re.compile(pattern, re.IGNORECASE | re.VERBOSE)


# Order numbers as the shop writes them, or a long number right after the word "order".
ORDER_NUMBER = _re(
    r"""
    \b(?:nl|order|ord|best)[-\s]?\d{5,}\b
    | \b(?:order|bestellung|bestellnummer|auftrag|auftragsnummer|sendung|paket|parcel|
          tracking|sendungsnummer)
      \s*(?:number|no\.?|nr\.?|nummer|\#)?\s*:?\s*\#?\s*\d{5,}\b
    | \#\s?\d{6,}\b
    """
)
CASE_NUMBER = _re(
    r"""
    \bvg[-\s]?\d{5,}\b
    | \b(?:case|ticket|fall|vorgang|vorgangsnummer|fallnummer)\s*(?:number|no\.?|nr\.?|nummer)?
      \s*:?\s*\#?\s*\d{5,}\b
    """
)
COMPLAINT_WORDS = _re(
    r"""\b(?:complain\w*|complaint|unacceptable|outrageous|disgrace\w*|ridiculous|scandal\w*
    |beschwer\w*|reklamier\w*|unverschaemt\w*|frechheit|skandal\w*|inakzeptabel|zumutung)\b"""
)
LEGAL = _re(
    r"""
    \b(?:my|our)\s+(?:lawyer|attorney|solicitor|legal\s+team)\b
    | \b(?:lawyer|attorney|solicitor)s?\s+will\b
    | \b(?:i|we)\s*(?:'ll|\s+will|\s+am\s+going\s+to|\s+shall)?\s+(?:sue|take\s+you\s+to\s+court)\b
    | \bsu(?:e|ing)\s+you\b | \blawsuit\b | \blegal\s+action\s+against\b
    | \btake\s+(?:you|this|legal\s+action)\b[^.?!]{0,20}\bcourt\b
    | \breport\s+you\s+to\s+the\s+police\b | \bcompensation\s+of\b | \bpay\s+me\b
    | \b(?:meinen|meine|unseren|unsere|einen|den|mein|ein)\s+(?:rechts)?anwaelt\w*
    | \b(?:meinen|meine|unseren|einen|den|mein)\s+(?:rechts)?anwalt\w*
    | \banwalt\s+(?:ein|einschalten|einschalte|nehmen)\b | \banwaltlich\w*
    | \bverklag\w* | \bklage\s+(?:ein|erheb\w*)\b | \bgerichtlich\w*
    | \b(?:erstatte\w*|stelle\w*)\s+(?:\w+\s+){0,3}anzeige\b | \banzeige\s+(?:erstatt|stell)\w*
    | \bschadens?ersatz\w* | \bpolizei\b
    """
)
PERSON = _re(
    r"""
    \b(?:speak|talk|chat)\s+(?:to|with)\s+(?:a\s+|an\s+|the\s+|your\s+|some\s+)?
      (?:real\s+|actual\s+|live\s+)?(?:human|person|people|agent|someone|somebody|employee|
      staff|representative|operator|manager|supervisor)\b
    | \b(?:i\s+(?:want|need|would\s+like)|give\s+me|get\s+me|connect\s+me\s+(?:to|with))\s+
      (?:to\s+(?:speak|talk)\s+to\s+)?(?:a\s+|an\s+)?(?:real\s+|actual\s+|live\s+)?
      (?:human|person|agent|representative|operator)\b
    | \breal\s+(?:human|person)\b | \bnot\s+a\s+(?:bot|robot|machine)\b | \bno\s+bots?\b
    | \bhuman\s+(?:agent|being|please)\b
    | \b(?:mit\s+)?(?:einem|einer|jemandem|jemand|einen)\s+(?:echten\s+|richtigen\s+)?
      (?:mitarbeiter\w*|menschen|mensch|person|berater\w*|kundenberater\w*|sachbearbeiter\w*)
      \s+(?:\w+\s+){0,2}(?:sprechen|reden|telefonieren|verbinden|chatten)\b
    | \b(?:echte[nmr]?|richtige[nmr]?)\s+(?:mensch\w*|person|mitarbeiter\w*)\b
    | \bkein(?:en|e)?\s+(?:bot|roboter|computer|maschine)\b
    | \b(?:ich\s+(?:will|moechte|brauche|haette\s+gern\w*))\s+(?:\w+\s+){0,2}
      (?:einen?\s+)?(?:mitarbeiter\w*|menschen|mensch)\b
    | \bverbinde\w*\s+(?:\w+\s+){0,2}(?:mitarbeiter\w*|menschen|mensch)\b
    """
)
# Matters for another department (recruiting, press, marketing partnerships).
OTHER_DEPARTMENT = _re(
    r"""
    \b(?:bewerb\w*|stellenangebot\w*|stellenanzeige\w*|offene\s+stellen|jobangebot\w*
      |ausbildungsplatz\w*|praktik(?:um|a|ums|ant\w*)|werkstudent\w*|minijob\w*|nebenjob\w*
      |karriere\w*|personalabteilung)\b
    | \b(?:sucht|suchen)\s+(?:ihr|sie)\s+(?:noch\s+)?(?:leute|mitarbeiter\w*|personal|aushilf\w*)\b
    | \b(?:job|jobs|vacanc\w*|career\w*|apprenticeship\w*|recruit\w*)\b
      [^.?!]{0,40}\b(?:apply|application|hiring|open|available|at\s+(?:your|nordlicht))\b
    | \b(?:apply|applying)\s+for\s+(?:a\s+|an\s+|the\s+)?(?:job|position|role|internship)\b
    | \bare\s+you\s+hiring\b | \bjob\s+application\b
    | \b(?:internship\w*|sponsor\w*|influencer\w*|affiliate\s+programm?e?|kooperationsanfrage\w*
      |press\s+(?:enquir\w*|inquir\w*|office|contact)|presseanfrage\w*|pressestelle)\b
    """
)


def judge(question: str) -> Verdict | None:
    """Return why ``question`` needs a person (the first rule that applies), or None."""
    text = fold(question or "")
    if match := LEGAL.search(text):
        return Verdict("legal", "legal_threat", match.group(0).strip())
    case = CASE_NUMBER.search(text)
    order = ORDER_NUMBER.search(text)
    if case:
        return Verdict("complaint", "case_number", case.group(0).strip())
    if order and (complaint := COMPLAINT_WORDS.search(text)):
        return Verdict("complaint", "complaint_about_order", complaint.group(0).strip())
    if order:
        return Verdict("specific_order", "order_number", order.group(0).strip())
    if match := PERSON.search(text):
        return Verdict("asked_for_person", "asked_for_person", match.group(0).strip())
    if match := OTHER_DEPARTMENT.search(text):
        return Verdict("out_of_scope", "other_department", match.group(0).strip())
    return None
