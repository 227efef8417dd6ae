"""Words for the demo: people's names, streets, and what residents and the city write.

Mons speaks French, so the generated life does too. Texts are templates with slots
(`{item}`, `{street}`, ...) that the generator fills from the lists below.
"""

from __future__ import annotations

# Lists of words and texts read best packed, not one item per line.
# fmt: off
FIRST_NAMES = (
    "Camille", "Louis", "Emma", "Arthur", "Louise", "Jules", "Alice", "Victor", "Chloé",
    "Lucas", "Léa", "Noah", "Manon", "Hugo", "Zoé", "Nathan", "Juliette", "Théo", "Clara",
    "Maxime", "Inès", "Thomas", "Sarah", "Mathis", "Lina", "Adam", "Eva", "Gabriel", "Nina",
    "Raphaël", "Margaux", "Simon", "Elise", "Antoine", "Lucie", "Martin", "Pauline", "Julien",
    "Marie", "Pierre", "Anne", "Philippe", "Christine", "Jean-Marc", "Nathalie", "Didier",
    "Martine", "Michel", "Monique", "André", "Josiane", "Jacques", "Francine", "Marcel",
    "Giuseppe", "Rosa", "Salvatore", "Giovanna", "Antonio", "Carmela", "Luca", "Francesca",
    "Mohamed", "Fatima", "Youssef", "Amina", "Karim", "Samira", "Bilal", "Nadia", "Mehmet",
    "Ayşe", "Emre", "Elif", "Kevin", "Jessica", "Dylan", "Mégane", "Jordan", "Laetitia",
    "Pieter", "Sofie", "Wout", "Lotte", "Agnieszka", "Tomasz", "Grace", "Patrick", "Aïcha",
    "Dieudonné", "Ornella", "Benoît", "Véronique", "Geoffrey", "Aurélie", "Ludovic", "Océane",
)
SURNAMES = (
    "Dubois", "Lambert", "Dupont", "Martin", "Simon", "Laurent", "Leclercq", "Lefebvre",
    "Mertens", "Claes", "Peeters", "Hermans", "Goossens", "Jacobs", "Willems", "Renard",
    "Wauters", "Lejeune", "Collignon", "Delcourt", "Dufrane", "Hautecoeur", "Ghislain",
    "Bauduin", "Desmet", "Baudart", "Carlier", "Deneubourg", "Fontaine", "Hanotte", "Lebrun",
    "Moreau", "Noël", "Petit", "Roland", "Stiévenart", "Tondeur", "Urbain", "Vanhove",
    "Wilmotte", "Duquesne", "Lemaire", "Piérard", "Staquet", "Quinet", "Degand", "Flament",
    "Russo", "Esposito", "Romano", "Colombo", "Ricci", "Marino", "Greco", "Bruno", "Conti",
    "Di Marco", "Lo Bue", "El Amrani", "Benali", "Bouzid", "El Idrissi", "Haddad", "Yilmaz",
    "Demir", "Kaya", "Nowak", "Kowalski", "Mbuyi", "Kabongo", "Ilunga", "Nsimba", "Van Damme",
    "Verhaegen", "De Smet", "Coppens", "Brasseur", "Coulon", "Marchal", "Hallet", "Debaisieux",
)
STREET_KINDS = ("Rue", "Rue", "Rue", "Avenue", "Chaussée", "Chemin", "Place", "Sentier", "Clos")
STREET_NAMES = (
    "des Tilleuls", "du Moulin", "de la Station", "de la Gare", "des Écoles", "du Marché",
    "Victor Hugo", "Émile Zola", "des Fusillés", "de la Paix", "du Chemin de Fer",
    "des Charbonnages", "du Terril", "Roi Albert", "Reine Astrid", "de Bertaimont",
    "des Arbalestriers", "des Frères Wiart", "de la Grande Triperie", "des Juifs",
    "du Onze Novembre", "des Sarts", "du Calvaire", "de l'Église", "du Bois", "des Prés",
    "des Peupliers", "des Coquelicots", "de la Trouille", "de la Haine", "du Canal",
    "Jean Jaurès", "Léopold II", "de la Libération", "des Mineurs", "des Verriers",
    "du Pont Canal", "Saint-Antoine", "Sainte-Waudru", "du Doudou", "Lumeçon",
    "des Capucins", "de la Procession", "du Car d'Or", "des Alliés", "du Champ de Mars",
    "des Bouleaux", "des Marronniers", "de la Ferme", "du Pavillon", "des Rossignols",
    "des Hirondelles", "Albert Ier", "de Jemappes", "de Nimy", "de Ghlin", "d'Havré",
    "du Tir", "des Soldats", "de la Croix-Rouge", "des Artisans", "des Carrières",
    "du Château", "de la Chapelle", "des Vergers", "du Vieux Puits", "des Houilleurs",
)

ITEMS = (
    "une perceuse", "une échelle", "une tondeuse", "un taille-haie", "une remorque",
    "un diable", "une scie sauteuse", "un nettoyeur haute pression", "une poussette",
    "un siège auto", "une tente", "un barbecue", "une machine à coudre", "un escabeau",
    "un décapeur thermique", "des tréteaux", "une ponceuse", "un vélo d'enfant",
)
GIFTS = (
    "des pots de confiture vides", "un canapé deux places", "des livres pour enfants",
    "des plants de tomates", "une armoire", "des vêtements de bébé", "un lit parapluie",
    "des bocaux", "des jeux de société", "une table de jardin", "des courgettes du potager",
    "des boutures de menthe", "un aquarium", "des cartons de déménagement",
)
PETS = (
    ("un chat roux", "Caramel"), ("un chat tigré", "Filou"), ("une chatte noire", "Réglisse"),
    ("un petit chien blanc", "Snoopy"), ("un lapin gris", "Pompon"),
    ("une perruche verte", "Kiwi"), ("un chien beige", "Max"), ("une tortue", "Speedy"),
)
LOST_THINGS = (
    "un trousseau de clés", "un doudou lapin", "un portefeuille brun", "une écharpe rouge",
    "des lunettes", "un téléphone", "un bonnet d'enfant", "une carte d'identité",
    "un sac de sport", "un gant de vélo",
)
DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")

# category -> (title, body) templates
POSTS = {
    "help_request": (
        ("Quelqu'un pour m'aider à porter {gift} ?",
         "Je dois descendre {gift} de mon deuxième étage {day}. Vingt minutes de bras, "
         "et je vous offre le café !"),
        ("Courses pour une voisine âgée",
         "Ma voisine, {street}, ne sort plus depuis sa chute. Quelqu'un passe-t-il au "
         "supermarché {day} et pourrait prendre quelques courses pour elle ?"),
        ("Besoin d'un coup de main pour le jardin",
         "Mon jardin est devenu une jungle. Quelqu'un aurait-il {item} et une heure "
         "{day} ? Je fournis la soupe."),
        ("Qui peut arroser mes plantes ?",
         "Je pars une semaine à partir de {day}. Quelqu'un du quartier pourrait-il arroser "
         "mes plantes deux fois ? J'habite {street}."),
        ("Aide pour un dossier administratif",
         "Je ne m'en sors pas avec un formulaire en ligne pour la mutuelle. Quelqu'un de "
         "patient pourrait-il m'aider une demi-heure ?"),
        ("Cherche covoiturage vers l'hôpital",
         "J'ai un rendez-vous à Ambroise Paré {day} matin et je n'ai pas de voiture. "
         "Quelqu'un y va ?"),
        ("Monter un meuble en kit",
         "J'ai acheté une armoire en kit et la notice me dépasse. Un bricoleur dans le "
         "coin ? Il me faudrait aussi {item}."),
        ("Garde de chat pendant le week-end",
         "Quelqu'un pourrait-il nourrir mon chat samedi et dimanche ? Il est très gentil."),
    ),
    "offer": (
        ("Je prête {item}", "Je prête volontiers {item} aux voisins. Passez {day} soir."),
        ("À donner : {gift}", "Je donne {gift}, à venir chercher {street}. Premier arrivé !"),
        ("Prêt de {item}", "{item_cap} disponible pour le quartier, demandez-moi ici."),
        ("Donne {gift}", "Dans mon garage depuis trop longtemps : {gift}. Gratuit."),
        ("À vendre : {gift}", "Je vends {gift} pour une petite somme, en bon état."),
    ),
    "event": (
        ("Apéro de rue {street}", "On sort les tables {day} à partir de 18 h. Chacun "
         "apporte quelque chose à partager. Les enfants sont les bienvenus !"),
        ("Balade au bord de la Haine", "Balade tranquille d'une heure et demie, départ "
         "devant l'église. Chaussures de marche conseillées."),
        ("Repair café à la maison de quartier", "Apportez vos petits appareils, vélos et "
         "vêtements à réparer. Des bénévoles vous aident à les remettre en état."),
        ("Brocante des enfants", "Les enfants vendent leurs jouets et leurs livres. "
         "Inscription gratuite, emplacement de deux mètres."),
        ("Nettoyage du quartier", "Gants et sacs fournis. Rendez-vous {street}, on "
         "ramasse les déchets ensemble pendant deux heures."),
        ("Soirée jeux de société", "Jeux pour tous les âges à la salle paroissiale. "
         "Apportez vos jeux préférés !"),
    ),
    "tip": (
        ("Boulangerie ouverte le dimanche", "La boulangerie du coin, {street}, est "
         "maintenant ouverte le dimanche matin. Leurs couques au beurre sont excellentes."),
        ("Bon plombier à recommander", "Un plombier sérieux, rapide et pas cher est venu "
         "chez moi {day}. Je vous donne son numéro en message."),
        ("Collecte des sacs PMC", "Rappel : les sacs bleus se sortent la veille au soir, "
         "pas avant 18 h, sinon les pies s'en occupent."),
        ("Marché du samedi", "Le marché a des producteurs locaux depuis ce mois-ci : "
         "fromages, légumes, œufs. Ça vaut le détour."),
        ("Permanence de la maison de quartier", "La maison de quartier tient une "
         "permanence le {day} de 14 h à 17 h pour les questions administratives."),
        ("Compost partagé", "Il reste de la place dans le compost collectif près du parc. "
         "Épluchures bienvenues, pas de viande."),
    ),
    "lost_found": (
        ("Perdu : {pet}", "{pet_cap} qui répond au nom de {pet_name} a disparu depuis "
         "{day}, du côté de chez nous, {street}. Merci de regarder dans vos garages !"),
        ("Trouvé : {lost}", "Trouvé {lost} sur le trottoir, {street}. "
         "Décrivez-le-moi en message et je vous le rends."),
        ("Perdu : {lost}", "J'ai perdu {lost} {day}, entre chez moi ({street}) et "
         "l'arrêt de bus. Une récompense pour qui le retrouve."),
        ("Vu : {pet}", "{pet_cap} se promène depuis ce matin dans les jardins, "
         "{street}. Quelqu'un le reconnaît ?"),
    ),
    "public_space": (
        ("Nid-de-poule dangereux, {street}", "Un trou profond s'est formé devant le numéro "
         "{number}. Les cyclistes doivent faire un écart. Signalé à la ville."),
        ("Lampadaire en panne", "Le lampadaire devant chez moi, {street}, ne s'allume "
         "plus depuis {day}. Il fait très sombre le soir."),
        ("Dépôt clandestin près du parc", "Encore des sacs et un vieux matelas déposés "
         "au coin, {street}. Quelqu'un a vu qui ?"),
        ("Travaux de voirie", "Des travaux commencent {day} {street}. Le stationnement "
         "sera interdit pendant deux semaines."),
        ("Trottoir encombré", "Des haies débordent sur le trottoir, {street} : "
         "impossible de passer avec une poussette."),
    ),
    "general": (
        ("Bienvenue aux nouveaux voisins", "Une famille vient d'emménager {street}. "
         "Bienvenue dans le quartier !"),
        ("Merci pour la fête d'hier", "Merci à tous ceux qui ont aidé à ranger. Quelle "
         "belle soirée, on remet ça l'année prochaine."),
        ("Photos du quartier d'autrefois", "Je rassemble des photos anciennes de notre "
         "rue et des environs. Vous en avez dans vos albums ?"),
        ("Un potager partagé ?", "Il y a une friche au bout de notre rue. Qui serait "
         "partant pour un potager partagé ?"),
        ("Chorale de quartier", "Nous cherchons des voix pour la chorale, tous niveaux. "
         "Répétition le {day} soir."),
        ("Qui a entendu le bruit cette nuit ?", "Vers 2 h, un grand bruit du côté de "
         "chez moi, {street}. Quelqu'un sait ce que c'était ?"),
    ),
}
COMMENTS = {
    "help_request": (
        "Je peux passer {day} si ça vous va.",
        "J'ai {item}, je vous l'apporte.",
        "Envoyez-moi un message, j'habite à deux pas.",
        "Mon fils peut venir vous aider samedi matin.",
        "C'est fait ? Sinon je suis disponible ce soir.",
        "Je m'en occupe, pas de souci !",
    ),
    "offer": (
        "Génial, je peux l'emprunter {day} ?",
        "Toujours disponible ?",
        "Merci, c'est très généreux !",
        "Je suis intéressé, je vous écris.",
    ),
    "event": (
        "Nous viendrons avec les enfants !",
        "Super idée, j'apporte une tarte.",
        "Je serai là.",
        "Dommage, je travaille ce jour-là. La prochaine fois !",
        "Faut-il s'inscrire ?",
    ),
    "tip": (
        "Merci pour l'info !",
        "Je confirme, c'est très bien.",
        "Bon à savoir, merci.",
        "Ils sont ouverts jusqu'à quelle heure ?",
    ),
    "lost_found": (
        "Je partage autour de moi.",
        "J'ai cru le voir hier soir près du parc.",
        "J'espère que vous le retrouverez vite.",
        "Regardez aussi à la SPA de Mons.",
    ),
    "public_space": (
        "Oui, c'est dangereux, surtout la nuit.",
        "J'ai aussi fait un signalement.",
        "Merci d'avoir prévenu.",
        "Enfin ! Ça fait des mois qu'on attend.",
    ),
    "general": (
        "Bienvenue !",
        "Bonne idée, je suis partant.",
        "Ça me rappelle des souvenirs.",
        "Merci à vous !",
        "Avec plaisir.",
    ),
}

# The city's messages: (title, body, urgent, pinned, days until expiry or None)
ANNOUNCEMENTS = (
    ("Ducasse de Mons : circulation et stationnement",
     "Pendant le week-end du Doudou, le centre est fermé à la circulation du samedi 8 h "
     "au lundi 6 h. Des navettes gratuites partent des parkings de délestage.",
     False, True, 21),
    ("Coupure d'eau programmée",
     "La SWDE remplace une conduite principale : l'eau sera coupée jeudi de 8 h à 13 h "
     "dans plusieurs rues. Prévoyez une réserve.",
     True, False, 5),
    ("Collecte des encombrants sur rendez-vous",
     "Les encombrants sont collectés à domicile sur rendez-vous, deux fois par an "
     "gratuitement. Réservez auprès du service propreté.",
     False, False, None),
    ("Plan grand froid : numéros utiles",
     "En cas de vague de froid, le CPAS ouvre des lieux d'accueil de jour. Pensez à vos "
     "voisins âgés ou isolés et signalez toute situation préoccupante.",
     False, True, 60),
    ("Budget participatif : déposez vos idées",
     "Chaque quartier dispose d'une enveloppe pour des projets proposés par ses "
     "habitants. Les idées sont attendues jusqu'à la fin du mois.",
     False, False, 30),
    ("Fermeture de la piscine du Grand Large",
     "La piscine ferme trois semaines pour l'entretien annuel. Les abonnements sont "
     "prolongés d'autant.",
     False, False, 20),
)
WORKSHOP = (
    "Atelier : la place de demain",
    "Venez dessiner avec nous le réaménagement de la place : bancs, arbres, jeux, "
    "stationnement vélo. Architectes et services de la ville présents.",
    "Maison de quartier, Centre-Ville",
)
SURVEY_TITLE = "Vivre à Mons demain"
SURVEY_INTRO = (
    "La ville prépare son plan de quartier 2027–2032. Vos réponses, par ménage, nous aident à "
    "choisir les priorités. Elles restent sur le serveur de votre quartier : la ville ne reçoit "
    "que des totaux."
)
SURVEY_QUESTIONS = (
    ("Quel sujet la ville doit-elle traiter en priorité dans votre quartier ?", "single",
     ("Propreté", "Mobilité et stationnement", "Sécurité routière", "Espaces verts",
      "Commerces de proximité")),
    ("Quels aménagements souhaitez-vous près de chez vous ?", "multiple",
     ("Bancs", "Arbres", "Pistes cyclables", "Éclairage", "Aire de jeux", "Boîte à livres")),
    ("Comment jugez-vous la vie dans votre quartier ?", "scale", ()),
    ("Un message pour la ville ?", "text", ()),
)
SURVEY_MESSAGES = (
    "Plus de poubelles publiques, s'il vous plaît.",
    "Les trottoirs sont en mauvais état.",
    "Merci pour les nouvelles plantations.",
    "Il faudrait ralentir les voitures près de l'école.",
    "Un marché le soir serait formidable.",
    "Plus de bancs pour les personnes âgées.",
    "Bravo pour la propreté du parc.",
    "Des pistes cyclables séparées de la route.",
    "Un meilleur éclairage dans les petites rues.",
    "Plus d'activités pour les adolescents.",
)
# fmt: on
