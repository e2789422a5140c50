/*
 * model_manager.c — the seed's ModelManager over ia_model: a list of loaded
 * models by name, automatic device choice from the profile, switching
 * backends without losing the model on failure, one weights mapping per
 * model directory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quant/model_open.h"
#include "util/struct_size.h"
#include "util/error.h"

typedef struct managed {
    char *name;
    ia_model *model;
} managed;

struct ia_model_manager {
    ia_hardware_profile profile;
    char backend[32]; /* owned copy of profile.backend */
    managed *items;
    size_t n, cap;
};

ia_status ia_model_manager_create(const ia_hardware_profile *profile, ia_model_manager **out) {
    ia_model_manager *mm;
    if (!out) return ia_error(IA_ERR_INVALID_ARG, "ia_model_manager_create: out is NULL");
    *out = NULL;
    if (!(mm = calloc(1, sizeof *mm))) return ia_error(IA_ERR_NOMEM, "model manager");
    IA_HARDWARE_PROFILE_INIT(&mm->profile);
    if (profile) {
        ia_status st = ia_struct_import(&mm->profile, sizeof mm->profile, profile, "IA_HARDWARE_PROFILE_INIT");
        if (st != IA_OK) {
            free(mm);
            return st;
        }
    }
    snprintf(mm->backend, sizeof mm->backend, "%s", mm->profile.backend ? mm->profile.backend : "auto");
    mm->profile.backend = mm->backend;
    *out = mm;
    return IA_OK;
}

void ia_model_manager_free(ia_model_manager *mm) {
    if (!mm) return;
    for (size_t i = 0; i < mm->n; i++) {
        ia_model_free(mm->items[i].model);
        free(mm->items[i].name);
    }
    free(mm->items);
    free(mm);
}

static managed *find(ia_model_manager *mm, const char *name) {
    for (size_t i = 0; i < mm->n; i++)
        if (strcmp(mm->items[i].name, name) == 0) return &mm->items[i];
    return NULL;
}

/* A loaded model of the same directory, to share its weights mapping. */
static ia_model *same_dir(ia_model_manager *mm, const char *name) {
    char dir[4096];
    if (ia_model_resolve(name, dir, sizeof dir) != IA_OK) return NULL;
    for (size_t i = 0; i < mm->n; i++)
        if (strcmp(ia_model_dir(mm->items[i].model), dir) == 0) return mm->items[i].model;
    return NULL;
}

ia_status ia_model_manager_load(ia_model_manager *mm, const char *name, ia_model **model) {
    managed *it;
    ia_model *m = NULL;
    ia_status st;
    if (!mm || !name) return ia_error(IA_ERR_INVALID_ARG, "ia_model_manager_load: NULL argument");
    if ((it = find(mm, name)) != NULL) {
        if (model) *model = it->model;
        return IA_OK;
    }
    if (mm->n == mm->cap) {
        size_t cap = mm->cap ? 2 * mm->cap : 4;
        managed *items = realloc(mm->items, cap * sizeof *items);
        if (!items) return ia_error(IA_ERR_NOMEM, "model manager");
        mm->items = items;
        mm->cap = cap;
    }
    if ((st = ia_model_open_shared(name, &mm->profile, same_dir(mm, name), &m)) != IA_OK) return st;
    if (!(mm->items[mm->n].name = strdup(name))) {
        ia_model_free(m);
        return ia_error(IA_ERR_NOMEM, "model manager");
    }
    mm->items[mm->n++].model = m;
    if (model) *model = m;
    return IA_OK;
}

ia_status ia_model_manager_embed(ia_model_manager *mm, const char *name, const char *const *texts, size_t n,
                                 float *out) {
    ia_model *m = NULL;
    ia_status st = ia_model_manager_load(mm, name, &m);
    return st != IA_OK ? st : ia_model_embed(m, texts, n, out);
}

ia_status ia_model_manager_switch(ia_model_manager *mm, const char *name, const char *backend) {
    managed *it;
    ia_hardware_profile p;
    ia_model *m = NULL;
    ia_status st;
    if (!mm || !name || !backend) return ia_error(IA_ERR_INVALID_ARG, "ia_model_manager_switch: NULL argument");
    if (!(it = find(mm, name))) return ia_error(IA_ERR_NOT_FOUND, "model '%s' is not loaded", name);
    p = mm->profile;
    p.backend = backend;
    /* Open the new one first: on failure the loaded model is untouched. */
    if ((st = ia_model_open_shared(name, &p, it->model, &m)) != IA_OK) return st;
    ia_model_free(it->model);
    it->model = m;
    return IA_OK;
}
