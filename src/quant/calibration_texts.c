/*
 * calibration_texts.c — the calibration texts quantisation uses when the
 * caller gives none (ia_quant_config_init at 2 bits): 64 short sentences of
 * general English — questions, news, instructions, science, code talk —
 * deliberately not from STS-B, so that the STS-B figures the defaults were
 * chosen on stay held out (docs/quantization.md). `ipfs-accelerate quantize
 * --calibration FILE` replaces them, --no-calibration drops them.
 */
#include "quant/policy.h"

static const char *const texts[] = {
    "The cat sat on the mat.",
    "A man is playing a guitar on stage.",
    "Quantisation maps floating-point weights to a few integer levels.",
    "Stock markets fell sharply after the announcement of new tariffs.",
    "How do I reset my password if I no longer have access to my email?",
    "The mitochondria is the powerhouse of the cell.",
    "She quickly realised that the train had left without her.",
    "Machine learning models benefit from proper quantization calibration.",
    "In 1969, Apollo 11 landed the first humans on the Moon.",
    "Two dogs are running through a field of tall grass.",
    "The recipe calls for two cups of flour, one egg and a pinch of salt.",
    "Researchers found no significant difference between the two groups.",
    "Please turn off the lights when you leave the room.",
    "A woman is slicing tomatoes in the kitchen.",
    "The function returns a pointer to the first matching element, or NULL.",
    "Heavy rain is expected across the region throughout the weekend.",
    "This is a sample sentence for calibration.",
    "Multiple examples ensure representative activation distributions.",
    "The committee postponed its decision until the next meeting.",
    "Children are playing football in the park after school.",
    "Neural networks approximate functions by composing simple layers.",
    "The museum's new exhibition features paintings from the 17th century.",
    "Is there a pharmacy open near the train station tonight?",
    "The quick brown fox jumps over the lazy dog.",
    "The train to the airport leaves every fifteen minutes from platform four.",
    "Add the onions to the pan and cook until they are soft and golden.",
    "The new smartphone has a larger battery and a faster processor.",
    "Scientists have discovered a new species of frog in the rainforest.",
    "He forgot his umbrella and got soaked on the way home.",
    "The company reported record profits for the third quarter in a row.",
    "Can you recommend a good book about the history of mathematics?",
    "A group of people are hiking up a steep mountain trail.",
    "The library will be closed on Monday for the public holiday.",
    "Vaccines train the immune system to recognise a specific pathogen.",
    "The orchestra performed Beethoven's ninth symphony to a full house.",
    "Our flight was delayed by three hours because of the storm.",
    "The software update fixes several security vulnerabilities.",
    "A young boy is riding a bicycle down the street.",
    "The river flooded after a week of continuous rain.",
    "She has been learning to play the piano for six years.",
    "The price of coffee has doubled since the beginning of the year.",
    "Please send me the report by the end of the day.",
    "The team won the championship after a dramatic penalty shootout.",
    "A cat is sleeping on a sunny windowsill.",
    "Electric cars are becoming cheaper to buy and to run.",
    "The server returned an error because the request was malformed.",
    "Farmers are worried about the lack of rain this summer.",
    "The detective finally solved the mystery of the missing painting.",
    "Two men are playing chess in the park.",
    "The government announced new measures to reduce air pollution.",
    "I would like to book a table for four at seven o'clock.",
    "The bridge was closed for repairs for most of the spring.",
    "Photosynthesis converts light energy into chemical energy.",
    "A dog is catching a frisbee on the beach.",
    "The startup raised fifty million dollars in its latest funding round.",
    "Remember to back up your files before installing the update.",
    "The hotel room had a beautiful view of the harbour.",
    "The student asked the teacher to explain the problem again.",
    "A woman is painting a landscape with watercolours.",
    "Interest rates are expected to fall later this year.",
    "The volcano erupted, sending ash high into the atmosphere.",
    "Turn left at the second traffic light and the shop is on your right.",
    "The baby laughed when the puppy licked her hand.",
    "The conference will take place online for the first time.",
};

const char *const *ia_quant_builtin_calibration(size_t *n) {
    *n = sizeof texts / sizeof texts[0];
    return texts;
}
