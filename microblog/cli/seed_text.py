"""Prose for `flask dev seed` that a search engine sees as a real blog would show it.

Words are drawn with a Zipf-like law (Zipf-Mandelbrot, s = 1.1) from a vocabulary ranked as
English is: function words first ("the" ends up in nearly every post), then a few hundred
subject words (some accented, some fixed phrases such as "open source"), then a long tail of
made-up words, the rarest in a handful of posts each, as names and jargon are. (The top 100
words make about half the text, as in English.) Titles come from
templates filled with subject words; each post also gets one category from a list of
subjects. Everything is drawn from the caller's `random.Random`, so a seed gives the same
blog every time.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from html import escape

FUNCTION_WORDS = """
the of and to a in is it that for was on with as i this but be at by not are from or have an
they which one you were all we her she there would their will when who him been has more if
no out so said what up its about into than them can only other new some could time these two
may then do first any my now such like our over even most made after also did many before
must through back years where much your way well down should because each just those people
how too little very make world still own see work long get here between both life being
under never day same another know while last might us great old year off come since against
go came right used take three
""".split()

# Subject words, ranked after the function words in this order (shuffled by the seed within
# bands, so that no subject always outranks another). Entries with a space are fixed phrases.
SUBJECT_WORDS = """
code data photo photos light film camera lens morning coffee city river garden bread
train book books music project release server version design water winter summer road
house paper night street kitchen window language program function test tests error
bug build database query index search page pages feed post notes friends family travel
mountain sea walk weather market dinner recipe sugar flour butter oven tea wine cheese
map station bridge island forest lake village rain snow wind sun moon star stars
open_source machine_learning pull_request new_york sourdough_bread
photograph photographs photography photographer photographic
python rust javascript linux kernel compiler terminal editor keyboard laptop phone screen
network router cable battery memory disk cache thread process signal socket packet
painting drawing ink brush canvas colour gallery museum concert guitar piano song album
novel poem poetry chapter library author reader letter essay story history archive
bicycle engine wheel tyre gear chain saddle ride climb descent valley ridge summit trail
tomato garlic onion pepper lemon olive basil soup salad pasta rice beans noodle curry
spring autumn harvest seed soil compost bees flowers roses hedge orchard apple pear plum
meeting team manager budget plan deadline office desk email calendar schedule report
school teacher student lesson exam class grammar vocabulary accent translation dictionary
doctor hospital medicine health sleep running swimming yoga football tennis chess puzzle
ship harbour sail anchor tide wave beach shell sand cliff lighthouse storm fog frost
bird owl crow sparrow heron fox badger deer rabbit hedgehog cat dog horse sheep goat
timber stone brick glass steel copper silver gold clay wool cotton linen leather thread
radio television cinema theatre festival parade ceremony wedding birthday holiday visit
airport flight ticket passport border hotel hostel tent campfire backpack boots jacket
newspaper magazine interview column editorial headline rumour scandal election vote
science physics chemistry biology geology astronomy telescope microscope experiment theory
equation proof number graph matrix vector algorithm sorting parser grammar lexer token
café naïve résumé façade zürich são_paulo jalapeño crème_brûlée déjà_vu müller björk señor
browser cookie session password login account profile avatar comment reply thread like
spreadsheet invoice receipt tax pension mortgage rent landlord tenant neighbour council
""".split()

TITLE_TEMPLATES = (
    "Notes on {a}",
    "Notes on {a} and {b}",
    "A week of {a}",
    "Why {a} matters",
    "What I learned about {a}",
    "{A}, {b} and {c}",
    "The {a} {b}",
    "On {a}",
    "{A} in the {b}",
    "Thoughts on {a} after {b}",
)
CATEGORIES = (
    "Photography",
    "Travel",
    "Programming",
    "Cooking",
    "Gardening",
    "Cycling",
    "Music",
    "Books",
    "Science",
    "Work",
    "Family",
    "Politics",
)
LINKS = ("/tags/", "/archive/", "https://example.org/notes", "/categories/travel/")

ZIPF_EXPONENT = 1.1
ZIPF_OFFSET = 2.7  # Mandelbrot's shift: the very top ranks are flatter than pure Zipf's
TAIL_WORDS = 50_000
SYLLABLES = (
    "ba be bi bo bu ca ce co cu da de di do du fa fe fi fo ga ge go ka ke ki ko la le li lo lu "
    "ma me mi mo mu na ne ni no nu pa pe pi po ra re ri ro ru sa se si so su ta te ti to tu "
    "va ve vi vo za ze zo bran dor fen gril kal mor nesh pol quen stra tor vel wim yar zun"
).split()


def made_up_words(rng: random.Random, count: int) -> list[str]:
    """`count` distinct pronounceable words that no dictionary has (the long tail)."""
    seen: set[str] = set()
    words: list[str] = []
    while len(words) < count:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


@dataclass(frozen=True)
class Post:
    """One synthetic post: its title, categories, excerpt and body as HTML."""

    title: str
    categories: list[str]
    excerpt_html: str
    body_html: str


class ProseWriter:
    """Writes synthetic posts whose words follow a Zipf-like law (see the module docstring)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        subjects = list(dict.fromkeys(SUBJECT_WORDS))
        # Shuffle within bands of 40: subjects keep roughly their rank, not their exact order.
        for start in range(0, len(subjects), 40):
            band = subjects[start : start + 40]
            rng.shuffle(band)
            subjects[start : start + 40] = band
        self.subjects = [word.replace("_", " ") for word in subjects]
        vocabulary = FUNCTION_WORDS + self.subjects + made_up_words(rng, TAIL_WORDS)
        weights = [1 / (rank + ZIPF_OFFSET) ** ZIPF_EXPONENT for rank in range(len(vocabulary))]
        self.vocabulary = vocabulary
        self.cumulative = list(itertools.accumulate(weights))
        subject_weights = [1 / (rank + ZIPF_OFFSET) for rank in range(len(self.subjects))]
        self.subject_cumulative = list(itertools.accumulate(subject_weights))

    def words(self, count: int) -> list[str]:
        return self.rng.choices(self.vocabulary, cum_weights=self.cumulative, k=count)

    def subject(self) -> str:
        return self.rng.choices(self.subjects, cum_weights=self.subject_cumulative, k=1)[0]

    def title(self) -> str:
        a, b, c = (self.subject() for _ in range(3))
        template = self.rng.choice(TITLE_TEMPLATES)
        return template.format(a=a, b=b, c=c, A=a[:1].upper() + a[1:])

    def sentence(self) -> str:
        words = self.words(self.rng.randint(6, 20))
        words[0] = words[0][:1].upper() + words[0][1:]
        return escape(" ".join(words)) + self.rng.choice(".....?!")

    def paragraph(self) -> str:
        sentences = [self.sentence() for _ in range(self.rng.randint(3, 6))]
        roll = self.rng.random()
        if roll < 0.15:
            sentences[0] = f"<em>{sentences[0]}</em>"
        elif roll < 0.3:
            link = escape(self.rng.choice(LINKS))
            sentences[-1] = f'<a href="{link}">{sentences[-1]}</a>'
        elif roll < 0.4:
            sentences[1] = f"<code>{escape(self.subject())}</code> {sentences[1]}"
        return "<p>" + " ".join(sentences) + "</p>"

    def post(self) -> Post:
        paragraphs = [self.paragraph() for _ in range(self.rng.randint(3, 10))]
        return Post(
            title=self.title(),
            categories=[self.rng.choice(CATEGORIES)],
            excerpt_html=paragraphs[0],
            body_html="\n".join(paragraphs),
        )
