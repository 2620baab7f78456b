"""Statement pairs written for the similarity tests: does the second say the same as the first?

SAME: the same claim in other words, or with a little more or less emphasis
(what a facilitator would merge). DIFFERENT: related statements that make
another claim, negations and opposites (never to be merged), and unrelated
statements from the same kind of conversation.
"""

from __future__ import annotations

SAME: list[tuple[str, str]] = [
    (
        "Night-time noise rules should be much stricter.",
        "Night-time noise rules should be stricter.",
    ),
    (
        "The riverside paths must stay open to everyone.",
        "The paths along the river must remain open to everyone.",
    ),
    (
        "Cars should be banned from the town centre on weekends.",
        "No cars in the town centre at weekends.",
    ),
    (
        "Every neighbourhood should have a park within a ten-minute walk.",
        "Everyone should live within a ten-minute walk of a park.",
    ),
    (
        "Clean drinking water is a right, not a product.",
        "Access to clean drinking water is a human right, not a commodity.",
    ),
    (
        "The council should publish every contract it signs.",
        "All council contracts should be made public.",
    ),
    (
        "Children should be able to walk to school safely on their own.",
        "Kids should be able to walk to school alone in safety.",
    ),
    (
        "Public transport should be free for everyone.",
        "Buses and trains should be free of charge for all.",
    ),
    ("We need more affordable housing in the city.", "The city needs more affordable homes."),
    (
        "Local businesses deserve tax breaks to stay in the area.",
        "Give local businesses tax relief so they can stay in the area.",
    ),
    (
        "Farmland at the edge of town must stay farmland.",
        "The farmland around the town must be kept as farmland.",
    ),
    (
        "Decisions about the riverfront should be made with residents.",
        "Residents should be involved in decisions about the riverfront.",
    ),
    (
        "Uber drivers should need a professional licence.",
        "Drivers for Uber should be required to hold a professional licence.",
    ),
    (
        "Ride-sharing apps should pay the same taxes as taxi companies.",
        "Ride-hailing companies should be taxed like taxi firms.",
    ),
    ("Passengers' safety must come first.", "The safety of passengers must be the top priority."),
    (
        "The minimum wage should be raised to 15 dollars an hour.",
        "Raise the minimum wage to $15 per hour.",
    ),
    ("Schools should teach climate change.", "Climate change should be taught in schools."),
    (
        "Plastic bags should be banned in supermarkets.",
        "Supermarkets should not be allowed to hand out plastic bags.",
    ),
    ("The library should open on Sundays.", "The library ought to be open on Sundays too."),
    ("We should plant more trees along our streets.", "More street trees should be planted."),
    ("Voting should be possible online.", "People should be able to vote over the internet."),
    (
        "Tourism brings more good than harm to our town.",
        "Tourism does our town more good than harm.",
    ),
    (
        "Cycling lanes should be separated from traffic.",
        "Bike lanes should be physically separated from cars.",
    ),
    (
        "Healthcare should be free at the point of use.",
        "Medical care should cost nothing when you use it.",
    ),
    (
        "The government must protect endangered species.",
        "Protecting endangered species is the government's duty.",
    ),
    (
        "Social media companies should be held responsible for harmful content.",
        "Social media platforms should be accountable for harmful content they host.",
    ),
    ("Rent increases should be capped.", "There should be a cap on how much rents can rise."),
    (
        "Public meetings should be held in the evening so workers can attend.",
        "Hold public meetings in the evenings so that working people can come.",
    ),
    (
        "Street lighting should be improved for safety.",
        "Better street lights would make our streets safer.",
    ),
    ("The old warehouses should be turned into housing.", "Convert the old warehouses into homes."),
    ("Dogs should be kept on a lead in the park.", "Dogs must be on a leash in the park."),
    ("We should recycle more of our waste.", "More of our rubbish should be recycled."),
    ("Speed limits near schools should be lowered.", "Lower the speed limit around schools."),
    ("Artificial intelligence should be regulated.", "AI needs regulation."),
    (
        "Everyone should have access to fast internet.",
        "Fast broadband should be available to everyone.",
    ),
    ("The town should invest in renewable energy.", "Our town ought to invest in renewable power."),
    (
        "Young people should have a say in local decisions.",
        "Local decisions should include the voices of young people.",
    ),
    ("Museums should be free to enter.", "Entry to museums should be free."),
    ("We must reduce car traffic in the centre.", "Car traffic in the centre has to be reduced."),
    (
        "Landlords should be required to insulate their properties.",
        "Rental homes must be insulated by their landlords.",
    ),
    (
        "Food waste from restaurants should be donated.",
        "Restaurants should donate their leftover food.",
    ),
    ("The stadium should not be built on the riverfront.", "No stadium on the riverfront."),
]

DIFFERENT: list[tuple[str, str]] = [
    # Negations: the same words, the opposite claim.
    (
        "Night-time noise rules should be stricter.",
        "Night-time noise rules should not be stricter.",
    ),
    (
        "Cars should be banned from the town centre on weekends.",
        "Cars should not be banned from the town centre on weekends.",
    ),
    (
        "The council should publish every contract it signs.",
        "The council should not publish every contract it signs.",
    ),
    (
        "Public transport should be free for everyone.",
        "Public transport should not be free for everyone.",
    ),
    (
        "Uber drivers should need a professional licence.",
        "Uber drivers should not need a professional licence.",
    ),
    ("Schools should teach climate change.", "Schools shouldn't teach climate change."),
    ("The library should open on Sundays.", "The library should never open on Sundays."),
    (
        "Tourism brings more good than harm to our town.",
        "Tourism does not bring more good than harm to our town.",
    ),
    ("Voting should be possible online.", "Voting should not be possible online."),
    (
        "Dogs should be kept on a lead in the park.",
        "Dogs should not have to be kept on a lead in the park.",
    ),
    (
        "We should build taller buildings near the station.",
        "We should not build taller buildings near the station.",
    ),
    ("Rent increases should be capped.", "Rent increases should not be capped."),
    # Opposites without a negation word.
    ("Night-time noise rules should be stricter.", "Night-time noise rules should be relaxed."),
    ("Speed limits near schools should be lowered.", "Speed limits near schools should be raised."),
    ("The minimum wage should be raised.", "The minimum wage should be lowered."),
    ("We need more parking in the town centre.", "We need less parking in the town centre."),
    ("Taxes on fuel should increase.", "Taxes on fuel should decrease."),
    (
        "The park should open earlier in the morning.",
        "The park should close earlier in the evening.",
    ),
    ("Cars should be banned from the town centre.", "Cars should be allowed in the town centre."),
    ("Immigration should be increased.", "Immigration should be reduced."),
    (
        "The government should spend more on defence.",
        "The government should spend less on defence.",
    ),
    (
        "Plastic bags should be banned in supermarkets.",
        "Plastic bags should be allowed in supermarkets.",
    ),
    # Related, but another claim.
    (
        "Cars should be banned from the town centre on weekends.",
        "We need more parking in the town centre.",
    ),
    (
        "Every neighbourhood should have a park within a ten-minute walk.",
        "Parks should be closed at night.",
    ),
    (
        "Clean drinking water is a right, not a product.",
        "Water prices should rise to cover pipe repairs.",
    ),
    (
        "Uber drivers should need a professional licence.",
        "Uber should pay the same taxes as taxi companies.",
    ),
    ("Passengers' safety must come first.", "Drivers deserve a fair income."),
    ("Public transport should be free for everyone.", "Buses should run every ten minutes."),
    ("We need more affordable housing in the city.", "The city needs more green spaces."),
    ("The riverside paths must stay open to everyone.", "The river should be cleaned up."),
    ("Schools should teach climate change.", "Schools should start later in the morning."),
    (
        "The old warehouses should be turned into housing.",
        "The old warehouses should be kept as a museum of industry.",
    ),
    (
        "Farmland at the edge of town must stay farmland.",
        "Farmers should get subsidies for organic produce.",
    ),
    (
        "The council should publish every contract it signs.",
        "The council should hold more public meetings.",
    ),
    (
        "Local businesses deserve tax breaks to stay in the area.",
        "Chain stores should pay higher business rates.",
    ),
    (
        "Artificial intelligence should be regulated.",
        "Artificial intelligence will create more jobs than it destroys.",
    ),
    ("Healthcare should be free at the point of use.", "Doctors should be paid more."),
    ("Museums should be free to enter.", "Museums should open later in the evening."),
    # Unrelated statements of the same conversation.
    (
        "Dogs should be kept on a lead in the park.",
        "The minimum wage should be raised to 15 dollars an hour.",
    ),
    (
        "Street lighting should be improved for safety.",
        "Ride-sharing apps should pay the same taxes as taxi companies.",
    ),
    ("We should recycle more of our waste.", "Young people should have a say in local decisions."),
    (
        "Everyone should have access to fast internet.",
        "The stadium should not be built on the riverfront.",
    ),
    (
        "Cycling lanes should be separated from traffic.",
        "Food waste from restaurants should be donated.",
    ),
    ("Rent increases should be capped.", "The library should open on Sundays."),
]
